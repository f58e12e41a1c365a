fn main() {
    yew::Renderer::<kubeplay_web::App>::new().render();
}

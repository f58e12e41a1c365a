fn main() {
    println!("kubeplay");
}

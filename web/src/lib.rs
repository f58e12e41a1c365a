//! Kubeplay's Yew front end: renders the core's `Sim` and sends it console commands.
use yew::prelude::*;

/// The root component.
#[function_component(App)]
pub fn app() -> Html {
    html! { <main><h1>{ "Kubeplay" }</h1></main> }
}

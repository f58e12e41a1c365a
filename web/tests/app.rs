//! The App mounted in a real browser document.
#![cfg(target_arch = "wasm32")]

use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn count(root: &web_sys::Element, selector: &str) -> u32 {
    root.query_selector_all(selector)
        .map(|l| l.length())
        .unwrap_or(0)
}

async fn next_render() {
    yew::platform::time::sleep(std::time::Duration::from_millis(50)).await;
}

#[wasm_bindgen_test]
async fn app_draws_three_nodes_and_scale_up_adds_a_pod() {
    let document = gloo::utils::document();
    let host = document.create_element("div").expect("create div");
    document
        .body()
        .expect("body")
        .append_child(&host)
        .expect("append");
    yew::Renderer::<kubeplay_web::App>::with_root(host.clone()).render();
    next_render().await;

    assert_eq!(count(&host, "[data-testid=node]"), 3);
    let before = count(&host, "[data-testid=pod]");
    assert!(before >= 1, "no pods drawn");

    let button: web_sys::HtmlElement = host
        .query_selector("[data-testid=scale-up]")
        .ok()
        .flatten()
        .and_then(|e| wasm_bindgen::JsCast::dyn_into(e).ok())
        .expect("scale-up button");
    button.click();
    next_render().await;
    assert_eq!(count(&host, "[data-testid=pod]"), before + 1);
}

//! The App mounted into a real browser document (run by wasm-bindgen-test in Chromium).
#![cfg(target_arch = "wasm32")]

use std::time::Duration;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlElement};

wasm_bindgen_test_configure!(run_in_browser);

fn count(root: &Element, selector: &str) -> u32 {
    root.query_selector_all(selector)
        .map(|l| l.length())
        .unwrap_or(0)
}

fn text(root: &Element, selector: &str) -> String {
    root.query_selector(selector)
        .ok()
        .flatten()
        .and_then(|e| e.text_content())
        .unwrap_or_default()
}

/// Mounts a fresh App into its own div and lets it render.
async fn mount() -> Element {
    let document = gloo::utils::document();
    let host = document.create_element("div").expect("create div");
    document
        .body()
        .expect("body")
        .append_child(&host)
        .expect("append");
    yew::Renderer::<kubeplay_web::App>::with_root(host.clone()).render();
    yew::platform::time::sleep(Duration::from_millis(50)).await;
    host
}

#[wasm_bindgen_test]
async fn app_draws_three_nodes_with_the_deployments_pods() {
    let host = mount().await;
    assert_eq!(count(&host, "[data-testid=node]"), 3);
    assert_eq!(count(&host, "[data-testid=pod]"), 3);
    for name in ["node-1", "node-2", "node-3"] {
        assert_eq!(count(&host, &format!("[data-node={name}]")), 1, "{name}");
    }
    let console = text(&host, "[data-testid=console]");
    assert!(
        console.contains("$ kubectl create deployment web --image=nginx --replicas=3"),
        "{console}"
    );
}

#[wasm_bindgen_test]
async fn pods_get_ips_and_become_ready_as_the_clock_runs() {
    let host = mount().await;
    // Image pull, start and warm-up take a few virtual seconds; the clock runs at wall speed.
    let mut ready = 0;
    for _ in 0..100 {
        ready = count(&host, "[data-testid=pod].ready");
        if ready == 3 {
            break;
        }
        yew::platform::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(ready, 3);
    assert!(!text(&host, "[data-testid=pod]").contains("no IP yet"));
}

#[wasm_bindgen_test]
async fn scale_up_runs_kubectl_scale_and_draws_one_more_pod() {
    let host = mount().await;
    let before = count(&host, "[data-testid=pod]");
    let button: HtmlElement = host
        .query_selector("[data-testid=scale-up]")
        .ok()
        .flatten()
        .and_then(|e| e.dyn_into().ok())
        .expect("scale-up button");
    button.click();
    yew::platform::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(count(&host, "[data-testid=pod]"), before + 1);
    let console = text(&host, "[data-testid=console]");
    assert!(
        console.contains("$ kubectl scale deployment web --replicas=4\ndeployment.apps/web scaled"),
        "{console}"
    );
}

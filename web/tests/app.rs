//! The page mounted into a real browser document (wasm-bindgen-test in headless Chromium).
//!
//! Any panic, even one inside an event handler the browser calls (which would not fail the
//! test by itself), is recorded by a panic hook and fails the test that caused it.
#![cfg(target_arch = "wasm32")]

use kubeplay_core::sim::{Sim, SimConfig};
use kubeplay_web::diagram::ClusterDiagram;
use kubeplay_web::playground::{Extras, Playground, Selection};
use kubeplay_web::{App, AppProps};
use std::cell::RefCell;
use std::collections::BTreeSet;
use std::rc::Rc;
use std::time::Duration;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{
    Element, HtmlElement, HtmlInputElement, HtmlSelectElement, KeyboardEvent, KeyboardEventInit,
};
use yew::prelude::*;

wasm_bindgen_test_configure!(run_in_browser);

thread_local! {
    static PANICS: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

fn install_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        yew::set_custom_panic_hook(Box::new(|info| {
            PANICS.with(|p| p.borrow_mut().push(info.to_string()));
            web_sys::console::error_1(&info.to_string().into());
        }))
    });
    // A failed earlier test's own panic is its failure, not this test's.
    PANICS.with(|p| p.borrow_mut().clear());
}

fn assert_no_panics() {
    let panics = PANICS.with(|p| std::mem::take(&mut *p.borrow_mut()));
    assert!(panics.is_empty(), "panicked: {panics:?}");
}

fn all(root: &Element, selector: &str) -> Vec<Element> {
    let list = root.query_selector_all(selector).expect("selector");
    (0..list.length())
        .filter_map(|i| list.item(i))
        .filter_map(|n| n.dyn_into::<Element>().ok())
        .collect()
}

fn attrs(root: &Element, selector: &str, attr: &str) -> BTreeSet<String> {
    all(root, selector)
        .iter()
        .filter_map(|e| e.get_attribute(attr))
        .collect()
}

fn text(root: &Element, selector: &str) -> String {
    root.query_selector(selector)
        .ok()
        .flatten()
        .and_then(|e| e.text_content())
        .unwrap_or_default()
}

fn element<T: JsCast>(root: &Element, selector: &str) -> T {
    root.query_selector(selector)
        .ok()
        .flatten()
        .and_then(|e| e.dyn_into::<T>().ok())
        .unwrap_or_else(|| panic!("no {selector}"))
}

async fn sleep(ms: u64) {
    yew::platform::time::sleep(Duration::from_millis(ms)).await;
}

fn host() -> Element {
    let document = gloo::utils::document();
    let host = document.create_element("div").expect("create div");
    document
        .body()
        .expect("body")
        .append_child(&host)
        .expect("append");
    host
}

/// Mounts the page (no localStorage, no URL) and lets it render.
async fn mount(query: &str) -> Element {
    install_panic_hook();
    let host = host();
    yew::Renderer::<App>::with_root_and_props(
        host.clone(),
        AppProps {
            query: Some(query.to_string()),
            isolated: true,
        },
    )
    .render();
    sleep(100).await;
    host
}

fn console_has(host: &Element, command: &str) -> bool {
    text(host, "[data-testid=console]").contains(&format!("$ {command}\n"))
}

fn key(target: &Element, key: &str) {
    let init = KeyboardEventInit::new();
    init.set_key(key);
    init.set_bubbles(true);
    init.set_cancelable(true);
    let ev = KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).expect("event");
    target.dispatch_event(&ev).expect("dispatch");
}

fn change(target: &Element) {
    let ev = web_sys::Event::new_with_event_init_dict("change", &{
        let i = web_sys::EventInit::new();
        i.set_bubbles(true);
        i
    })
    .expect("event");
    target.dispatch_event(&ev).expect("dispatch");
}

// ---------------------------------------------------------------- the diagram is the state

#[derive(Properties, PartialEq)]
struct Harness {
    view: Rc<kubeplay_core::view::ClusterView>,
}

#[function_component(DiagramOnly)]
fn diagram_only(p: &Harness) -> Html {
    html! {
        <ClusterDiagram view={Rc::clone(&p.view)} extras={Rc::new(Extras::default())}
            dots={Rc::new(Vec::new())} selected={Selection::None}
            on_select={Callback::noop()} on_kill={Callback::noop()} />
    }
}

fn core_pods(v: &kubeplay_core::view::ClusterView) -> BTreeSet<String> {
    v.nodes
        .iter()
        .flat_map(|n| &n.pods)
        .chain(&v.unscheduled)
        .map(|p| p.name.clone())
        .collect()
}

fn core_endpoints(v: &kubeplay_core::view::ClusterView) -> BTreeSet<String> {
    v.services
        .iter()
        .filter(|s| s.name == "web")
        .flat_map(|s| &s.endpoints)
        .map(|e| e.pod.clone())
        .collect()
}

/// A control's command, chosen from the cluster's state.
type Step<'a> = Box<dyn Fn(&Sim) -> String + 'a>;

#[wasm_bindgen_test]
async fn the_diagram_draws_exactly_the_cores_pods_and_endpoints() {
    install_panic_hook();
    let mut sim = Sim::new(SimConfig::default());
    let setup = [
        "kubectl create deployment web --image=nginx:1.25 --replicas=3",
        "kubectl expose deployment web --port=80",
    ];
    for line in setup {
        assert!(sim.exec(line).ok, "{line}");
    }
    sim.advance(10_000);
    let first_pod = |sim: &Sim| {
        core_pods(&sim.view(Some("default")))
            .into_iter()
            .next()
            .unwrap_or_default()
    };
    // Each step is a control's command; the diagram is compared with the core after each,
    // both at once and after time has passed.
    let steps: Vec<Step> = vec![
        Box::new(|_| Playground::scale_command(5)),
        Box::new(|_| Playground::image_command("1.26")),
        Box::new(|s| Playground::kill_command(&first_pod(s))),
        Box::new(|s| Playground::label_command(&first_pod(s), "app=debug")),
        Box::new(|_| Playground::node_command("fail", "node-2")),
    ];
    for step in steps {
        let line = step(&sim);
        let out = kubeplay_web::console::run(
            &mut sim,
            &line,
            &kubeplay_web::console::PageFiles::with_editor(""),
        );
        assert!(out.ok, "{line}: {out:?}");
        for wait in [0, 3_000] {
            sim.advance(wait);
            let view = Rc::new(sim.view(Some("default")));
            let host = host();
            yew::Renderer::<DiagramOnly>::with_root_and_props(
                host.clone(),
                Harness {
                    view: Rc::clone(&view),
                },
            )
            .render();
            sleep(30).await;
            assert_eq!(
                attrs(&host, "[data-testid=pod]", "data-pod"),
                core_pods(&view),
                "pods after {line} +{wait}ms"
            );
            assert_eq!(
                attrs(&host, "[data-testid=endpoint]", "data-pod"),
                core_endpoints(&view),
                "endpoints after {line} +{wait}ms"
            );
            assert_eq!(
                attrs(&host, "[data-testid=node]", "data-node"),
                view.nodes.iter().map(|n| n.name.clone()).collect(),
            );
            let terminating = view
                .nodes
                .iter()
                .flat_map(|n| &n.pods)
                .filter(|p| p.terminating)
                .count();
            assert_eq!(
                all(&host, "[data-testid=pod][data-state=terminating]").len(),
                terminating
            );
            host.remove();
        }
    }
    assert_no_panics();
}

// ---------------------------------------------------------------- the page

#[wasm_bindgen_test]
async fn the_page_starts_with_three_nodes_a_service_and_its_client() {
    let host = mount("").await;
    assert_eq!(all(&host, "[data-testid=node]").len(), 3);
    // Three web pods and the client pod.
    assert_eq!(all(&host, "[data-testid=pod]").len(), 4);
    assert_eq!(all(&host, "[data-testid=vip]").len(), 1);
    for line in kubeplay_web::playground::starting_commands() {
        assert!(console_has(&host, &line), "{line}");
    }
    assert_no_panics();
}

#[wasm_bindgen_test]
async fn each_control_dispatches_its_console_command() {
    let host = mount("").await;
    let click = |sel: &str| element::<HtmlElement>(&host, sel).click();
    let cases: Vec<(&str, String)> = vec![
        ("[data-testid=scale-up]", Playground::scale_command(4)),
        ("[data-testid=scale-down]", Playground::scale_command(3)),
        ("[data-testid=undo]", Playground::rollout_command("undo")),
        ("[data-testid=pause]", Playground::rollout_command("pause")),
        (
            "[data-testid=resume]",
            Playground::rollout_command("resume"),
        ),
        ("[data-testid=add-node]", Playground::add_node_command()),
    ];
    for (sel, command) in cases {
        click(sel);
        sleep(40).await;
        assert!(console_has(&host, &command), "{sel} → {command}");
    }
    // Selects and sliders.
    let image: HtmlSelectElement = element(&host, "[data-testid=image]");
    image.set_value("1.27");
    change(&image);
    sleep(40).await;
    assert!(console_has(&host, &Playground::image_command("1.27")));
    let svc: HtmlSelectElement = element(&host, "[data-testid=service-type]");
    svc.set_value("NodePort");
    change(&svc);
    sleep(40).await;
    assert!(console_has(
        &host,
        &Playground::service_type_command("NodePort")
    ));
    let replicas: HtmlInputElement = element(&host, "[data-testid=replicas]");
    replicas.set_value("6");
    change(&replicas);
    sleep(40).await;
    assert!(console_has(&host, &Playground::scale_command(6)));
    let rate: HtmlInputElement = element(&host, "[data-testid=rate]");
    rate.set_value("50");
    change(&rate);
    sleep(40).await;
    assert!(console_has(
        &host,
        "traffic start --from client --rate 50 web"
    ));
    // A node's actions.
    let node_head = element::<Element>(&host, "[data-node=node-2] .node-head");
    key(&node_head, "Enter");
    sleep(40).await;
    for (sel, verb) in [
        ("[data-testid=cordon]", "cordon"),
        ("[data-testid=drain]", "drain"),
        ("[data-testid=node-fail]", "fail"),
    ] {
        click(sel);
        sleep(40).await;
        assert!(
            console_has(&host, &Playground::node_command(verb, "node-2")),
            "{verb}"
        );
    }
    assert_no_panics();
}

#[wasm_bindgen_test]
async fn keyboard_kills_a_pod_and_the_live_region_says_what_changed() {
    let host = mount("").await;
    sleep(300).await;
    let pod = all(&host, "[data-testid=pod]")
        .into_iter()
        .find(|p| {
            p.get_attribute("data-pod")
                .is_some_and(|n| n.starts_with("web-"))
        })
        .expect("a web pod");
    let name = pod.get_attribute("data-pod").unwrap_or_default();
    assert_eq!(pod.get_attribute("tabindex").as_deref(), Some("0"));
    assert!(pod
        .get_attribute("aria-label")
        .unwrap_or_default()
        .contains(&name));
    pod.dyn_ref::<web_sys::SvgElement>().map(|e| e.focus());
    key(&pod, "Delete");
    sleep(60).await;
    assert!(console_has(&host, &Playground::kill_command(&name)));
    // The app exits 0.3 s after SIGTERM, so by now the pod may be gone already.
    let live = text(&host, "[data-testid=live]");
    assert!(
        live.contains(&format!("{name} is terminating"))
            || live.contains(&format!("{name} terminated")),
        "{live}"
    );
    // Enter selects; the inspector's labels form relabels.
    let other = all(&host, "[data-testid=pod]")
        .into_iter()
        .filter_map(|p| p.get_attribute("data-pod"))
        .find(|n| n.starts_with("web-") && *n != name)
        .expect("another pod");
    key(
        &element(&host, &format!("[data-testid=pod][data-pod='{other}']")),
        "Enter",
    );
    sleep(40).await;
    let labels: HtmlInputElement = element(&host, "[data-testid=labels]");
    labels.set_value("app=debug");
    element::<HtmlElement>(&host, "[data-testid=relabel]").click();
    sleep(60).await;
    assert!(console_has(
        &host,
        &Playground::label_command(&other, "app=debug")
    ));
    assert_no_panics();
}

#[wasm_bindgen_test]
async fn the_console_runs_typed_lines_with_history_and_completion() {
    let host = mount("").await;
    let input: HtmlInputElement = element(&host, "[data-testid=console-input]");
    input.set_value("kubectl get po");
    input
        .dispatch_event(&web_sys::InputEvent::new("input").expect("input"))
        .expect("dispatch");
    sleep(20).await;
    key(&input, "Tab");
    sleep(20).await;
    assert_eq!(input.value(), "kubectl get pods ");
    key(&input, "Enter");
    sleep(40).await;
    assert!(console_has(&host, "kubectl get pods"));
    assert!(text(&host, "[data-testid=console]").contains("NAME"));
    key(&input, "ArrowUp");
    sleep(20).await;
    assert_eq!(input.value(), "kubectl get pods");
    assert_no_panics();
}

#[wasm_bindgen_test]
async fn bad_url_parameters_give_notices_and_embed_hides_panels() {
    let host = mount("embed=1&speed=999&proxy=userspace&theme=dark").await;
    let notices = text(&host, "[data-testid=notices]");
    assert!(
        notices.contains("speed is a number from 0.25 to 20"),
        "{notices}"
    );
    assert!(
        notices.contains("proxy is iptables, ipvs or nftables"),
        "{notices}"
    );
    assert!(all(&host, "[data-testid=console]").is_empty());
    assert_eq!(all(&host, "[data-testid=cluster]").len(), 1);
    assert!(all(&host, "main.theme-dark").len() == 1);
    assert_no_panics();
}

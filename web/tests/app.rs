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
            ..AppProps::default()
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
            on_select={Callback::noop()} on_kill={Callback::noop()} service={Some("web".to_string())} />
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
        Box::new(|_| Playground::scale_command("web", 5)),
        Box::new(|_| Playground::image_command("web", "nginx", "nginx:1.25", "1.26")),
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
            // Pods web's selector does not match (the relabelled one) are set apart.
            let web = view.services.iter().find(|s| s.name == "web");
            let outside: BTreeSet<String> = core_pods(&view)
                .into_iter()
                .filter(|p| !web.is_some_and(|s| s.selects.contains(p)))
                .collect();
            assert_eq!(
                attrs(&host, "[data-testid=pod].unmatched", "data-pod"),
                outside,
                "pods outside web after {line} +{wait}ms"
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
        (
            "[data-testid=scale-up]",
            Playground::scale_command("web", 4),
        ),
        (
            "[data-testid=scale-down]",
            Playground::scale_command("web", 3),
        ),
        (
            "[data-testid=undo]",
            Playground::rollout_command("undo", "web"),
        ),
        (
            "[data-testid=pause]",
            Playground::rollout_command("pause", "web"),
        ),
        (
            "[data-testid=resume]",
            Playground::rollout_command("resume", "web"),
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
    assert!(console_has(
        &host,
        &Playground::image_command("web", "nginx", "nginx:1.25", "1.27")
    ));
    let svc: HtmlSelectElement = element(&host, "[data-testid=service-type]");
    svc.set_value("NodePort");
    change(&svc);
    sleep(40).await;
    assert!(console_has(
        &host,
        &Playground::service_type_command("web", "NodePort")
    ));
    let replicas: HtmlInputElement = element(&host, "[data-testid=replicas]");
    replicas.set_value("6");
    change(&replicas);
    sleep(40).await;
    assert!(console_has(&host, &Playground::scale_command("web", 6)));
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

// ---------------------------------------------------------------- sharing, targets, lessons

fn drawn(host: &Element) -> (BTreeSet<String>, BTreeSet<String>) {
    (
        attrs(host, "[data-testid=pod]", "data-pod"),
        attrs(host, "[data-testid=endpoint]", "data-pod"),
    )
}

async fn mount_with(props: AppProps) -> Element {
    install_panic_hook();
    let host = host();
    yew::Renderer::<App>::with_root_and_props(host.clone(), props).render();
    sleep(100).await;
    host
}

/// Types a line into the console and presses Enter.
fn type_line(host: &Element, line: &str) {
    let input: HtmlInputElement = element(host, "[data-testid=console-input]");
    input.set_value(line);
    input
        .dispatch_event(&web_sys::InputEvent::new("input").expect("input"))
        .expect("dispatch");
    key(&input, "Enter");
}

fn select(host: &Element, testid: &str, value: &str) {
    let s: HtmlSelectElement = element(host, &format!("[data-testid={testid}]"));
    s.set_value(value);
    change(&s);
}

#[wasm_bindgen_test]
async fn a_shared_link_reopens_the_same_pods_and_endpoints() {
    // 20× speed: the cluster settles in a second of real time.
    let host = mount("speed=20").await;
    element::<HtmlElement>(&host, "[data-testid=scale-up]").click();
    sleep(1_500).await;
    let victim = attrs(&host, "[data-testid=pod]", "data-pod")
        .into_iter()
        .find(|n| n.starts_with("web-"))
        .expect("a web pod");
    // Enter on a pod selects it (pods are SVG, not HTML buttons).
    key(
        &element::<Element>(&host, &format!("[data-testid=pod][data-pod='{victim}']")),
        "Enter",
    );
    sleep(40).await;
    element::<HtmlElement>(&host, "[data-testid=kill]").click();
    sleep(2_000).await;
    // Stop the clock, so both pages show the same instant.
    element::<HtmlElement>(&host, "[data-testid=play]").click();
    sleep(40).await;
    element::<HtmlElement>(&host, "[data-testid=share]").click();
    sleep(40).await;
    let link = element::<HtmlInputElement>(&host, "[data-testid=share-link]").value();
    let fragment = link[link.find('#').expect("a fragment")..].to_string();
    assert!(fragment.starts_with("#s="), "{link}");
    let (pods, endpoints) = drawn(&host);
    assert!(!pods.contains(&victim), "the killed pod is gone: {pods:?}");
    assert_eq!(endpoints.len(), 4, "{endpoints:?}");
    let clock = text(&host, ".clock");

    let copy = mount_with(AppProps {
        query: Some(String::new()),
        isolated: true,
        fragment: Some(fragment),
        update_url: false,
    })
    .await;
    element::<HtmlElement>(&copy, "[data-testid=play]").click();
    sleep(40).await;
    assert_eq!(drawn(&copy), (pods, endpoints));
    assert_eq!(text(&copy, "[data-testid=notices]"), "");
    let copy_clock = text(&copy, ".clock");
    // The copy ran for at most a few frames before it was paused.
    assert!(copy_clock >= clock, "{clock} → {copy_clock}");
    host.remove();
    copy.remove();
    assert_no_panics();
}

#[wasm_bindgen_test]
async fn a_link_that_does_not_decode_gives_a_message_and_a_fresh_cluster() {
    for fragment in ["#s=not-a-scenario", "#s=", "#s=%%%"] {
        let host = mount_with(AppProps {
            query: Some(String::new()),
            isolated: true,
            fragment: Some(fragment.to_string()),
            update_url: false,
        })
        .await;
        let notices = text(&host, "[data-testid=notices]");
        assert!(
            notices.contains("The shared link could not be read"),
            "{fragment}: {notices}"
        );
        assert!(notices.contains("a fresh cluster was started"), "{notices}");
        // The fresh cluster: three web pods and the client, the Service with its VIP.
        assert_eq!(all(&host, "[data-testid=pod]").len(), 4, "{fragment}");
        assert_eq!(all(&host, "[data-testid=vip]").len(), 1);
        for line in kubeplay_web::playground::starting_commands() {
            assert!(console_has(&host, &line), "{line}");
        }
        host.remove();
    }
    assert_no_panics();
}

/// A scenario whose Deployment and Service are called `shop`, as a shared link carries it.
fn shop_fragment() -> String {
    let mut s = kubeplay_web::playground::fresh_scenario(1, Default::default());
    s.commands = [
        "kubectl create deployment shop --image=httpd:2.4 --replicas=2",
        "kubectl expose deployment shop --port=80 --type=NodePort",
        "kubectl apply -f client.yaml",
        "traffic start --from client --rate 5 shop",
    ]
    .into_iter()
    .map(|line| kubeplay_core::share::TimedCommand {
        at: 0,
        line: line.to_string(),
    })
    .collect();
    kubeplay_web::share_fragment(&s)
}

#[wasm_bindgen_test]
async fn controls_act_on_a_deployment_not_named_web() {
    let host = mount_with(AppProps {
        query: Some(String::new()),
        isolated: true,
        fragment: Some(shop_fragment()),
        update_url: false,
    })
    .await;
    assert!(text(&host, "[data-testid=vip]").contains("Service shop"));
    let click = |sel: &str| element::<HtmlElement>(&host, sel).click();
    click("[data-testid=scale-up]");
    sleep(40).await;
    assert!(console_has(
        &host,
        "kubectl scale deployment shop --replicas=3"
    ));
    click("[data-testid=undo]");
    sleep(40).await;
    assert!(console_has(&host, "kubectl rollout undo deployment/shop"));
    select(&host, "image", "1.27");
    sleep(40).await;
    assert!(console_has(
        &host,
        "kubectl set image deployment/shop httpd=httpd:1.27"
    ));
    sleep(200).await;
    let shop_pods = attrs(&host, "[data-testid=pod]", "data-pod")
        .into_iter()
        .filter(|n| n.starts_with("shop-"))
        .count();
    assert!(shop_pods >= 3, "{shop_pods} shop pods");
    // Deleting the Deployment leaves nothing to act on: the controls say why.
    type_line(&host, "kubectl delete deployment shop");
    sleep(60).await;
    let note = text(&host, "[data-testid=target-note]");
    assert!(
        note.contains("No Deployment runs the pods of Service shop"),
        "{note}"
    );
    assert!(element::<HtmlElement>(&host, "[data-testid=scale-up]")
        .closest("fieldset")
        .ok()
        .flatten()
        .is_some_and(|f| f.has_attribute("disabled")));
    host.remove();
    assert_no_panics();
}

#[wasm_bindgen_test]
async fn affinity_and_policy_controls_patch_the_service() {
    let host = mount_with(AppProps {
        query: Some(String::new()),
        isolated: true,
        fragment: Some(shop_fragment()),
        update_url: false,
    })
    .await;
    let policy: HtmlSelectElement = element(&host, "[data-testid=traffic-policy]");
    assert!(!policy.disabled(), "a NodePort Service has a policy");
    for (testid, value, command) in [
        (
            "session-affinity",
            "ClientIP",
            Playground::affinity_command("shop", "ClientIP"),
        ),
        (
            "traffic-policy",
            "Local",
            Playground::traffic_policy_command("shop", "Local"),
        ),
    ] {
        select(&host, testid, value);
        sleep(60).await;
        assert!(console_has(&host, &command), "{command}");
        assert!(
            text(&host, "[data-testid=console]").contains("service/shop patched"),
            "{command}"
        );
        // The control shows the core's Service as it is now.
        let shown: HtmlSelectElement = element(&host, &format!("[data-testid={testid}]"));
        assert_eq!(shown.value(), value);
    }
    // The core's Service changed: kubectl shows the fields.
    type_line(&host, "kubectl get service shop -o yaml");
    sleep(60).await;
    let console = text(&host, "[data-testid=console]");
    assert!(console.contains("sessionAffinity: ClientIP"), "{console}");
    assert!(
        console.contains("externalTrafficPolicy: Local"),
        "{console}"
    );
    select(&host, "session-affinity", "None");
    sleep(60).await;
    assert!(console_has(
        &host,
        &Playground::affinity_command("shop", "None")
    ));
    assert_eq!(
        element::<HtmlSelectElement>(&host, "[data-testid=session-affinity]").value(),
        "None"
    );
    // ClusterIP: no external policy, and the control says why.
    select(&host, "service-type", "ClusterIP");
    sleep(60).await;
    assert!(element::<HtmlSelectElement>(&host, "[data-testid=traffic-policy]").disabled());
    host.remove();
    assert_no_panics();
}

#[wasm_bindgen_test]
async fn pods_that_leave_fade_out_before_they_go() {
    let host = mount("speed=20").await;
    sleep(500).await;
    let victim = attrs(&host, "[data-testid=pod]", "data-pod")
        .into_iter()
        .find(|n| n.starts_with("web-"))
        .expect("a web pod");
    type_line(
        &host,
        &format!("kubectl delete pod {victim} --grace-period=0 --force"),
    );
    sleep(60).await;
    // Gone from the state (and from what the tests count as drawn), still fading out.
    assert!(!attrs(&host, "[data-testid=pod]", "data-pod").contains(&victim));
    let leaving = attrs(&host, "[data-testid=leaving-pod]", "data-pod");
    assert!(leaving.contains(&victim), "{leaving:?}");
    assert!(all(&host, "[data-testid=leaving-pod]")
        .iter()
        .all(|e| e.get_attribute("aria-hidden").as_deref() == Some("true")));
    sleep(kubeplay_web::diagram::LEAVE_MS as u64 + 200).await;
    assert!(attrs(&host, "[data-testid=leaving-pod]", "data-pod").is_empty());
    host.remove();
    assert_no_panics();
}

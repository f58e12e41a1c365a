//! Lessons in headless Chromium: every built-in lesson passes through the core's runner when
//! compiled to wasm, and the page's lesson sidebar shows a lesson's title and checks and
//! ticks them as the suggested commands run.
#![cfg(target_arch = "wasm32")]

use kubeplay_core::lesson::{self, builtin};
use kubeplay_web::{App, AppProps};
use std::time::Duration;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlElement};

wasm_bindgen_test_configure!(run_in_browser);

/// Runs one built-in lesson through `kubeplay_core::lesson::run` and fails with its name
/// and every failing check.
fn assert_lesson_passes(name: &str) {
    let lesson = match builtin::load(name) {
        Some(Ok(l)) => l,
        Some(Err(e)) => panic!("lesson {name} does not load: {e}"),
        None => panic!("no built-in lesson {name}"),
    };
    let report = lesson::run(&lesson);
    assert!(
        report.passed(),
        "lesson {name} failed in the browser:\n{}",
        report.failures().join("\n")
    );
}

/// One test per lesson (each gets its own timeout); `LESSONS` must name every built-in one.
macro_rules! lesson_tests {
    ($($test:ident => $name:literal),* $(,)?) => {
        const LESSONS: &[&str] = &[$($name),*];
        $(
            #[wasm_bindgen_test]
            fn $test() {
                assert_lesson_passes($name);
            }
        )*
    };
}

lesson_tests! {
    pods_come_and_go => "pods-come-and-go",
    pod_ip_changes => "pod-ip-changes",
    service_stable_ip => "service-stable-ip",
    vip_iptables => "vip-iptables",
    vip_ipvs => "vip-ipvs",
    kube_proxy_sync => "kube-proxy-sync",
    reachable_from_outside => "reachable-from-outside",
    labels_select_pods => "labels-select-pods",
    endpointslices => "endpointslices",
    service_types => "service-types",
    zero_downtime_rollout => "zero-downtime-rollout",
    session_affinity => "session-affinity",
    external_traffic_policy => "external-traffic-policy",
}

#[wasm_bindgen_test]
fn every_builtin_lesson_has_a_browser_test() {
    assert_eq!(builtin::names(), LESSONS);
}

// ---------------------------------------------------------------- the sidebar

fn all(root: &Element, selector: &str) -> Vec<Element> {
    let list = root.query_selector_all(selector).expect("selector");
    (0..list.length())
        .filter_map(|i| list.item(i))
        .filter_map(|n| n.dyn_into::<Element>().ok())
        .collect()
}

fn text(root: &Element, selector: &str) -> String {
    root.query_selector(selector)
        .ok()
        .flatten()
        .and_then(|e| e.text_content())
        .unwrap_or_default()
}

async fn sleep(ms: u64) {
    yew::platform::time::sleep(Duration::from_millis(ms)).await;
}

/// Mounts the page as `?QUERY` would open it (no localStorage, no URL) and lets it render.
async fn mount(query: &str) -> Element {
    let document = gloo::utils::document();
    let host = document.create_element("div").expect("create div");
    document
        .body()
        .expect("body")
        .append_child(&host)
        .expect("append");
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

#[wasm_bindgen_test]
async fn the_sidebar_shows_the_lesson_and_ticks_its_checks_as_its_commands_run() {
    let name = "service-stable-ip";
    let lesson = match builtin::load(name) {
        Some(Ok(l)) => l,
        other => panic!("{name}: {other:?}"),
    };
    let host = mount(&format!("lesson={name}")).await;
    assert_eq!(text(&host, "[data-testid=lesson-title]"), lesson.title);
    assert!(
        text(&host, "[data-testid=lesson-step]").contains(&lesson.steps[0].title),
        "{}",
        text(&host, "[data-testid=lesson-step]")
    );
    let checks = || all(&host, "[data-testid=lesson-checks] li");
    let descriptions: Vec<String> = checks()
        .iter()
        .map(|li| li.text_content().unwrap_or_default())
        .collect();
    assert_eq!(descriptions.len(), lesson.steps[0].checks.len());
    for (shown, check) in descriptions.iter().zip(&lesson.steps[0].checks) {
        assert!(shown.contains(&check.description), "{shown:?}");
    }
    // Each suggested command runs through the console (echoed there); then the step's
    // checks all tick, as the native runner says they do.
    let buttons = all(&host, ".lesson-command");
    assert_eq!(buttons.len(), lesson.steps[0].commands.len());
    for b in &buttons {
        b.dyn_ref::<HtmlElement>().expect("button").click();
        sleep(20).await;
    }
    sleep(100).await;
    let console = text(&host, "[data-testid=console]");
    for b in &buttons {
        let line = b.text_content().unwrap_or_default();
        assert!(
            console.contains(&format!("$ {line}")),
            "{line:?} not echoed"
        );
    }
    for li in checks() {
        assert!(
            li.get_attribute("class")
                .is_some_and(|c| c.split_whitespace().any(|w| w == "pass")),
            "not ticked: {:?}",
            li.text_content()
        );
    }
    // Next step, then back.
    let click = |id: &str| {
        host.query_selector(&format!("[data-testid={id}]"))
            .ok()
            .flatten()
            .and_then(|e| e.dyn_into::<HtmlElement>().ok())
            .expect(id)
            .click()
    };
    click("lesson-next");
    sleep(50).await;
    assert!(text(&host, "[data-testid=lesson-step]").starts_with("Step 2/"));
    click("lesson-prev");
    sleep(50).await;
    assert!(text(&host, "[data-testid=lesson-step]").starts_with("Step 1/"));
}

#[wasm_bindgen_test]
async fn step_starts_the_lesson_at_that_step() {
    let host = mount("lesson=service-stable-ip&step=2").await;
    assert!(
        text(&host, "[data-testid=lesson-step]").starts_with("Step 2/"),
        "{}",
        text(&host, "[data-testid=lesson-step]")
    );
}

#[wasm_bindgen_test]
async fn an_unknown_lesson_gives_a_notice_and_the_playground_still_works() {
    let host = mount("lesson=no-such-lesson").await;
    assert!(
        text(&host, "[data-testid=notices]").contains("There is no lesson \"no-such-lesson\""),
        "{}",
        text(&host, "[data-testid=notices]")
    );
    assert!(text(&host, "[data-testid=lesson-title]").is_empty());
    assert!(!all(&host, "[data-testid=lesson-picker]").is_empty());
    assert!(!all(&host, "svg").is_empty(), "the diagram is drawn");
}

async fn mount_props(props: AppProps) -> Element {
    let document = gloo::utils::document();
    let host = document.create_element("div").expect("create div");
    document
        .body()
        .expect("body")
        .append_child(&host)
        .expect("append");
    yew::Renderer::<App>::with_root_and_props(host.clone(), props).render();
    sleep(100).await;
    host
}

#[wasm_bindgen_test]
async fn step_action_buttons_run_their_console_command() {
    let name = "service-stable-ip";
    let lesson = match builtin::load(name) {
        Some(Ok(l)) => l,
        other => panic!("{name}: {other:?}"),
    };
    let step = lesson
        .steps
        .iter()
        .position(|s| s.actions.iter().any(|a| a == "scale"))
        .expect("a step with the scale action");
    let host = mount(&format!("lesson={name}&step={}", step + 1)).await;
    let button = host
        .query_selector(".lesson-action[data-action=scale]")
        .ok()
        .flatten()
        .and_then(|e| e.dyn_into::<HtmlElement>().ok())
        .expect("the scale action's button");
    // The button names the command it runs; clicking runs it in the console, echoed.
    let title = button.get_attribute("title").unwrap_or_default();
    let line = title
        .strip_prefix("Runs: ")
        .expect("the command in the title")
        .to_string();
    assert!(
        line.starts_with("kubectl scale deployment web --replicas="),
        "{line}"
    );
    button.click();
    sleep(60).await;
    assert!(
        text(&host, "[data-testid=console]")
            .contains(&format!("$ {line}\ndeployment.apps/web scaled")),
        "{line} not echoed"
    );
}

#[wasm_bindgen_test]
async fn the_address_follows_the_lesson_and_step() {
    let window = gloo::utils::window();
    let history = window.history().expect("history");
    let original = window.location().href().expect("href");
    let path = window.location().pathname().expect("path");
    history
        .replace_state_with_url(
            &wasm_bindgen::JsValue::NULL,
            "",
            Some(&format!("{path}?theme=dark")),
        )
        .expect("replaceState");
    let host = mount_props(AppProps {
        query: Some("theme=dark".into()),
        isolated: true,
        fragment: None,
        update_url: true,
    })
    .await;
    let search = || window.location().search().unwrap_or_default();
    assert_eq!(search(), "?theme=dark", "no lesson, no lesson parameters");
    // The picker opens a lesson: the address names it, at step 1.
    let picker: web_sys::HtmlSelectElement = host
        .query_selector("[data-testid=lesson-picker]")
        .ok()
        .flatten()
        .and_then(|e| e.dyn_into().ok())
        .expect("picker");
    picker.set_value("service-types");
    let ev = web_sys::Event::new_with_event_init_dict("change", &{
        let i = web_sys::EventInit::new();
        i.set_bubbles(true);
        i
    })
    .expect("event");
    picker.dispatch_event(&ev).expect("dispatch");
    sleep(100).await;
    assert_eq!(search(), "?lesson=service-types&step=1&theme=dark");
    let next = host
        .query_selector("[data-testid=lesson-next]")
        .ok()
        .flatten()
        .and_then(|e| e.dyn_into::<HtmlElement>().ok())
        .expect("next");
    next.click();
    sleep(60).await;
    assert_eq!(search(), "?lesson=service-types&step=2&theme=dark");
    // The picker's "none" leaves the lesson: the parameters go. (The sidebar was re-drawn
    // around the lesson: find the picker again.)
    let picker: web_sys::HtmlSelectElement = host
        .query_selector("[data-testid=lesson-picker]")
        .ok()
        .flatten()
        .and_then(|e| e.dyn_into().ok())
        .expect("picker");
    picker.set_value("");
    picker.dispatch_event(&ev).expect("dispatch");
    sleep(60).await;
    assert_eq!(search(), "?theme=dark");
    assert!(text(&host, "[data-testid=lesson-title]").is_empty());
    host.remove();
    history
        .replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&original))
        .expect("restore");
}

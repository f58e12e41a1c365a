//! The panels around the diagram: the control bar, time controls, the selection inspector, the
//! kubectl console, the YAML editor, the EndpointSlice table, a node's kube-proxy rules, the
//! events log and the per-pod request chart. Every control dispatches console lines (the
//! `*_command` functions of [`crate::playground::Playground`]) so the console echoes them.

use crate::params::{proxy_word, SPEEDS};
use crate::playground::{
    repository, tag, Action, ChartSample, Echo, EventRow, Playground, Rules, Selection, Traffic,
    AFFINITIES, SERVICE_TYPES, TAGS, TRAFFIC_POLICIES,
};
use kubeplay_core::lesson::target::Target;
use kubeplay_core::proxy::ProxyMode;
use kubeplay_core::view::{PodView, ServiceView};
use std::rc::Rc;
use wasm_bindgen::JsCast;
use web_sys::{HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement};
use yew::prelude::*;

/// Dispatches console lines.
pub type Runner = Callback<Vec<String>>;

/// How a traffic control changes the settings.
type TrafficEdit = Rc<dyn Fn(&mut Traffic, &Event)>;

fn input_value(e: &Event) -> String {
    e.target()
        .and_then(|t| {
            t.clone()
                .dyn_into::<HtmlInputElement>()
                .map(|i| i.value())
                .or_else(|_| t.dyn_into::<HtmlSelectElement>().map(|s| s.value()))
                .ok()
        })
        .unwrap_or_default()
}

fn input_checked(e: &Event) -> bool {
    e.target()
        .and_then(|t| t.dyn_into::<HtmlInputElement>().ok())
        .is_some_and(|i| i.checked())
}

// ---------------------------------------------------------------------------- control bar

/// Props of [`ControlBar`].
#[derive(Properties, PartialEq)]
pub struct ControlBarProps {
    /// What the controls act on: the shown Service and the Deployment behind it.
    pub target: Rc<Target>,
    /// Traffic settings.
    pub traffic: Traffic,
    /// Where the external user can send (None: the Service is not reachable from outside).
    pub external_target: Option<String>,
    /// kube-proxy mode.
    pub proxy: ProxyMode,
    /// Runs console lines.
    pub run: Runner,
    /// Other actions.
    pub dispatch: Callback<Action>,
}

/// Replicas, image rollout, Service type / affinity / traffic policy, traffic, proxy mode,
/// add node. The Deployment controls act on the Deployment behind the shown Service; when
/// there is not exactly one they are disabled and say why.
#[function_component(ControlBar)]
pub fn control_bar(p: &ControlBarProps) -> Html {
    let deployment = p.target.deployment.as_ref().ok();
    let name = deployment.map(|d| d.name.clone()).unwrap_or_default();
    let replicas = deployment.map_or(0, |d| u32::try_from(d.replicas).unwrap_or(0));
    let image = deployment.map(|d| d.image.clone()).unwrap_or_default();
    let container = deployment.map(|d| d.container.clone()).unwrap_or_default();
    let current_tag = tag(&image).to_string();
    let service = p.target.service.clone();
    let svc_name = service.as_ref().map(|s| s.name.clone()).unwrap_or_default();
    let no_deployment = deployment.is_none();
    let no_service = service.is_none();
    let scale = |n: u32| {
        let run = p.run.clone();
        let name = name.clone();
        Callback::from(move |_: MouseEvent| run.emit(vec![Playground::scale_command(&name, n)]))
    };
    let on_slider = {
        let run = p.run.clone();
        let name = name.clone();
        Callback::from(move |e: Event| {
            if let Ok(n) = input_value(&e).parse::<u32>() {
                if n != replicas {
                    run.emit(vec![Playground::scale_command(&name, n)]);
                }
            }
        })
    };
    let mut tags: Vec<String> = TAGS.iter().map(|t| t.to_string()).collect();
    if deployment.is_some() && !tags.contains(&current_tag) {
        tags.insert(0, current_tag.clone());
    }
    let on_tag = {
        let run = p.run.clone();
        let (name, container, image, current) = (
            name.clone(),
            container.clone(),
            image.clone(),
            current_tag.clone(),
        );
        Callback::from(move |e: Event| {
            let tag = input_value(&e);
            if tag != current && TAGS.contains(&tag.as_str()) {
                run.emit(vec![Playground::image_command(
                    &name, &container, &image, &tag,
                )]);
            }
        })
    };
    let rollout = |verb: &'static str| {
        let run = p.run.clone();
        let name = name.clone();
        Callback::from(move |_: MouseEvent| {
            run.emit(vec![Playground::rollout_command(verb, &name)])
        })
    };
    // A select that runs `command(service, value)` when its value changes to one of `values`.
    let service_select =
        |current: String, values: &'static [&'static str], command: fn(&str, &str) -> String| {
            let run = p.run.clone();
            let svc = svc_name.clone();
            Callback::from(move |e: Event| {
                let v = input_value(&e);
                if v != current && values.contains(&v.as_str()) {
                    run.emit(vec![command(&svc, &v)]);
                }
            })
        };
    let type_ = service
        .as_ref()
        .map_or("ClusterIP".to_string(), |s| s.type_.clone());
    let affinity = service
        .as_ref()
        .map_or("None".to_string(), |s| s.session_affinity.clone());
    let policy = service
        .as_ref()
        .and_then(|s| s.external_traffic_policy.clone())
        .unwrap_or_else(|| "Cluster".to_string());
    let has_policy = type_ != "ClusterIP";
    let on_type = service_select(
        type_.clone(),
        &SERVICE_TYPES,
        Playground::service_type_command,
    );
    let on_affinity = service_select(affinity.clone(), &AFFINITIES, Playground::affinity_command);
    let on_policy = service_select(
        policy.clone(),
        &TRAFFIC_POLICIES,
        Playground::traffic_policy_command,
    );
    let traffic = |change: TrafficEdit| {
        let run = p.run.clone();
        let t = p.traffic.clone();
        let svc = svc_name.clone();
        Callback::from(move |e: Event| {
            let mut t = t.clone();
            change(&mut t, &e);
            run.emit(Playground::traffic_commands(&t, &svc));
        })
    };
    let on_rate = traffic(Rc::new(|t, e| {
        t.rate = input_value(e).parse().unwrap_or(t.rate).min(200)
    }));
    let on_keep = traffic(Rc::new(|t, e| t.keep_alive = input_checked(e)));
    let on_from = traffic(Rc::new(|t, e| t.external = input_value(e) == "external"));
    let on_proxy = {
        let d = p.dispatch.clone();
        Callback::from(move |e: Event| {
            if let Some(m) = crate::params::proxy_mode(&input_value(&e)) {
                d.emit(Action::SetProxy(m));
            }
        })
    };
    let add_node = {
        let run = p.run.clone();
        Callback::from(move |_: MouseEvent| run.emit(vec![Playground::add_node_command()]))
    };
    let external_note = match (&p.external_target, p.traffic.external) {
        (None, true) if !no_service => Some(
            "The external user cannot reach a ClusterIP Service: make it NodePort or LoadBalancer.",
        ),
        _ => None,
    };
    let why_no_deployment = p.target.deployment.as_ref().err().cloned();
    let policy_help = "externalTrafficPolicy applies to NodePort and LoadBalancer Services only";
    html! {
        <section class="controls" aria-label="Controls" data-testid="controls">
            <fieldset disabled={no_deployment} data-testid="deployment-controls">
                <legend>{ if no_deployment { "Replicas".to_string() } else { format!("Replicas of {name}") } }</legend>
                <button data-testid="scale-down" aria-label="One replica fewer"
                        title={Playground::scale_command(&name, replicas.saturating_sub(1))}
                        disabled={no_deployment || replicas == 0} onclick={scale(replicas.saturating_sub(1))}>{ "−" }</button>
                <input data-testid="replicas" type="range" min="0" max="12" value={replicas.to_string()}
                       aria-label="Replicas" aria-valuetext={format!("{replicas} replicas")} onchange={on_slider} />
                <output aria-hidden="true">{ replicas }</output>
                <button data-testid="scale-up" aria-label="One replica more"
                        title={Playground::scale_command(&name, replicas + 1)}
                        onclick={scale(replicas + 1)}>{ "+" }</button>
            </fieldset>
            <fieldset disabled={no_deployment}>
                <legend>{ "Image" }</legend>
                <select data-testid="image" aria-label="Roll out image tag" onchange={on_tag}>
                    { for tags.iter().map(|t| html! {
                        <option value={t.clone()} selected={*t == current_tag}>{ format!("{}:{t}", repository(&image)) }</option>
                    }) }
                </select>
                <button data-testid="undo" onclick={rollout("undo")} title={Playground::rollout_command("undo", &name)}>{ "Undo" }</button>
                <button data-testid="pause" onclick={rollout("pause")} title={Playground::rollout_command("pause", &name)}>{ "Pause" }</button>
                <button data-testid="resume" onclick={rollout("resume")} title={Playground::rollout_command("resume", &name)}>{ "Resume" }</button>
            </fieldset>
            <fieldset disabled={no_service}>
                <legend>{ if no_service { "Service".to_string() } else { format!("Service {svc_name}") } }</legend>
                <select data-testid="service-type" aria-label="Service type" onchange={on_type}>
                    { for SERVICE_TYPES.iter().map(|t| html! {
                        <option value={*t} selected={*t == type_}>{ *t }</option>
                    }) }
                </select>
                <label>{ "affinity " }
                    <select data-testid="session-affinity" aria-label="Session affinity" onchange={on_affinity}>
                        { for AFFINITIES.iter().map(|a| html! {
                            <option value={*a} selected={*a == affinity}>{ *a }</option>
                        }) }
                    </select>
                </label>
                <label title={(!has_policy).then_some(policy_help)}>{ "external policy " }
                    <select data-testid="traffic-policy" aria-label="External traffic policy"
                            disabled={!has_policy} onchange={on_policy}>
                        { for TRAFFIC_POLICIES.iter().map(|v| html! {
                            <option value={*v} selected={*v == policy}>{ *v }</option>
                        }) }
                    </select>
                </label>
            </fieldset>
            <fieldset disabled={no_service}>
                <legend>{ "Traffic" }</legend>
                <select data-testid="traffic-from" aria-label="Requests come from" onchange={on_from}>
                    <option value="client" selected={!p.traffic.external}>{ "client pod" }</option>
                    <option value="external" selected={p.traffic.external}>{ "external user" }</option>
                </select>
                <input data-testid="rate" type="range" min="0" max="200" step="5"
                       value={p.traffic.rate.to_string()} aria-label="Requests per second"
                       aria-valuetext={format!("{} requests per second", p.traffic.rate)} onchange={on_rate} />
                <output aria-hidden="true">{ format!("{}/s", p.traffic.rate) }</output>
                <label><input data-testid="keep-alive" type="checkbox" checked={p.traffic.keep_alive} onchange={on_keep} />{ " keep-alive" }</label>
            </fieldset>
            <fieldset>
                <legend>{ "kube-proxy" }</legend>
                <select data-testid="proxy-mode" aria-label="kube-proxy mode" onchange={on_proxy}>
                    { for [ProxyMode::Iptables, ProxyMode::Ipvs, ProxyMode::Nftables].into_iter().map(|m| html! {
                        <option value={proxy_word(m)} selected={m == p.proxy}>{ proxy_word(m) }</option>
                    }) }
                </select>
                <button data-testid="add-node" onclick={add_node} title="node add">{ "Add node" }</button>
            </fieldset>
            if let Some(why) = why_no_deployment {
                <p class="hint" role="note" data-testid="target-note">
                    { format!("{why} The replica and image controls are off until one Deployment runs the Service's pods.") }
                </p>
            }
            if no_service {
                <p class="hint" role="note" data-testid="service-note">
                    { "No Service selects pods: create one (kubectl expose deployment NAME --port=80) to use the Service and traffic controls." }
                </p>
            }
            if let Some(note) = external_note {
                <p class="hint" role="note">{ note }</p>
            }
        </section>
    }
}

// ---------------------------------------------------------------------------- time

/// Props of [`TimeBar`].
#[derive(Properties, PartialEq)]
pub struct TimeBarProps {
    /// Paused.
    pub paused: bool,
    /// Speed.
    pub speed: f64,
    /// Virtual time (ms).
    pub time_ms: u64,
    /// Actions.
    pub dispatch: Callback<Action>,
    /// Share link.
    pub on_share: Callback<()>,
    /// Start over (and forget the saved state).
    pub on_reset: Callback<()>,
}

/// Pause / play, step, speed, share, reset.
#[function_component(TimeBar)]
pub fn time_bar(p: &TimeBarProps) -> Html {
    let toggle = {
        let d = p.dispatch.clone();
        let paused = p.paused;
        Callback::from(move |_: MouseEvent| d.emit(Action::SetPaused(!paused)))
    };
    let step = {
        let d = p.dispatch.clone();
        Callback::from(move |_: MouseEvent| d.emit(Action::Step))
    };
    let speed = {
        let d = p.dispatch.clone();
        Callback::from(move |e: Event| {
            if let Ok(s) = input_value(&e).parse::<f64>() {
                d.emit(Action::SetSpeed(s));
            }
        })
    };
    let share = {
        let s = p.on_share.clone();
        Callback::from(move |_: MouseEvent| s.emit(()))
    };
    let reset = {
        let r = p.on_reset.clone();
        Callback::from(move |_: MouseEvent| r.emit(()))
    };
    html! {
        <section class="time" aria-label="Time">
            <button data-testid="play" onclick={toggle} aria-pressed={(!p.paused).to_string()}>
                { if p.paused { "Play" } else { "Pause" } }
            </button>
            <button data-testid="step" onclick={step} disabled={!p.paused}
                    title="Advance 0.1 s of virtual time">{ "Step" }</button>
            <label>{ "Speed " }
                <select data-testid="speed" onchange={speed}>
                    { for SPEEDS.iter().map(|s| html! {
                        <option value={s.to_string()} selected={(*s - p.speed).abs() < 1e-9}>{ format!("{s}×") }</option>
                    }) }
                </select>
            </label>
            <span class="clock" aria-label="Virtual time">{ format!("t = {:.1} s", p.time_ms as f64 / 1000.0) }</span>
            <span class="spacer"></span>
            <button data-testid="share" onclick={share} title="Put this scenario in the page's URL">{ "Share" }</button>
            <button data-testid="reset" onclick={reset} title="Start over with a fresh cluster (forgets the saved state)">{ "Reset" }</button>
        </section>
    }
}

// ---------------------------------------------------------------------------- inspector

/// Props of [`Inspector`].
#[derive(Properties, PartialEq)]
pub struct InspectorProps {
    /// Selection.
    pub selected: Selection,
    /// The selected pod, if it still exists.
    pub pod: Option<PodView>,
    /// The selected node's state: (ready, cordoned, up).
    pub node: Option<(bool, bool, bool)>,
    /// Runs console lines.
    pub run: Runner,
    /// Other actions.
    pub dispatch: Callback<Action>,
}

/// Actions on the selected pod (kill, labels) or node (fail, recover, cordon, drain).
#[function_component(Inspector)]
pub fn inspector(p: &InspectorProps) -> Html {
    let labels_ref = use_node_ref();
    let close = {
        let d = p.dispatch.clone();
        Callback::from(move |_: MouseEvent| d.emit(Action::Select(Selection::None)))
    };
    match (&p.selected, &p.pod, &p.node) {
        (Selection::Pod(name), Some(pod), _) => {
            let kill = {
                let run = p.run.clone();
                let name = name.clone();
                Callback::from(move |_: MouseEvent| run.emit(vec![Playground::kill_command(&name)]))
            };
            let current: Vec<String> = pod
                .labels
                .iter()
                .filter(|(k, _)| k.as_str() != "pod-template-hash")
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            let relabel = {
                let run = p.run.clone();
                let name = name.clone();
                let input = labels_ref.clone();
                Callback::from(move |e: SubmitEvent| {
                    e.prevent_default();
                    let value = input
                        .cast::<HtmlInputElement>()
                        .map(|i| i.value())
                        .unwrap_or_default();
                    let value = value.trim();
                    if !value.is_empty() {
                        run.emit(vec![Playground::label_command(&name, value)]);
                    }
                })
            };
            html! {
                <section class="inspector" aria-label={format!("Pod {name}")} data-testid="inspector">
                    <h2>{ format!("Pod {name}") }</h2>
                    <p>{ format!("{} · {} · {} · labels {}", pod.status, pod.ip.as_deref().unwrap_or("no IP"), pod.image, current.join(",")) }</p>
                    <button data-testid="kill" onclick={kill} title={Playground::kill_command(name)}>{ "Kill pod" }</button>
                    <form onsubmit={relabel} class="inline">
                        <label>{ "Labels " }
                            <input data-testid="labels" ref={labels_ref} type="text" value={current.join(" ")}
                                   aria-describedby="labels-help" spellcheck="false" />
                        </label>
                        <button type="submit" data-testid="relabel">{ "Set labels" }</button>
                        <small id="labels-help">{ "key=value … (key- removes); a pod whose labels stop matching app=web leaves the Service" }</small>
                    </form>
                    <button class="close" onclick={close} aria-label="Close">{ "×" }</button>
                </section>
            }
        }
        (Selection::Node(name), _, Some((_, cordoned, up))) => {
            let cmd = |verb: &'static str| {
                let run = p.run.clone();
                let name = name.clone();
                Callback::from(move |_: MouseEvent| {
                    run.emit(vec![Playground::node_command(verb, &name)])
                })
            };
            let rules = {
                let d = p.dispatch.clone();
                let name = name.clone();
                Callback::from(move |_: MouseEvent| d.emit(Action::ShowRules(name.clone())))
            };
            html! {
                <section class="inspector" aria-label={format!("Node {name}")} data-testid="inspector">
                    <h2>{ format!("Node {name}") }</h2>
                    if *up {
                        <button data-testid="node-fail" onclick={cmd("fail")} title={Playground::node_command("fail", name)}>{ "Fail (power off)" }</button>
                    } else {
                        <button data-testid="node-recover" onclick={cmd("recover")} title={Playground::node_command("recover", name)}>{ "Recover" }</button>
                    }
                    if *cordoned {
                        <button data-testid="uncordon" onclick={cmd("uncordon")}>{ "Uncordon" }</button>
                    } else {
                        <button data-testid="cordon" onclick={cmd("cordon")}>{ "Cordon" }</button>
                    }
                    <button data-testid="drain" onclick={cmd("drain")} title={Playground::node_command("drain", name)}>{ "Drain" }</button>
                    <button onclick={rules}>{ "Show its kube-proxy rules" }</button>
                    <button class="close" onclick={close} aria-label="Close">{ "×" }</button>
                </section>
            }
        }
        _ => html! {
            <p class="inspector hint">{ "Click (or Tab to) a pod or a node for its actions; Delete on a pod kills it." }</p>
        },
    }
}

// ---------------------------------------------------------------------------- console

/// Props of [`Console`].
#[derive(Properties, PartialEq)]
pub struct ConsoleProps {
    /// Commands and outputs.
    pub history: Rc<Vec<Echo>>,
    /// Names for Tab completion.
    pub names: Rc<Vec<String>>,
    /// Runs a typed line.
    pub run: Runner,
}

/// The kubectl console: output, a prompt with ↑/↓ history and Tab completion.
#[function_component(Console)]
pub fn console(p: &ConsoleProps) -> Html {
    let line = use_state(String::new);
    // Position in the history while browsing with ↑/↓ (None: editing a new line).
    let cursor = use_state(|| None::<usize>);
    let out_ref = use_node_ref();
    {
        let out_ref = out_ref.clone();
        use_effect_with(p.history.len(), move |_| {
            if let Some(el) = out_ref.cast::<web_sys::Element>() {
                el.set_scroll_top(el.scroll_height());
            }
        });
    }
    let typed: Vec<String> = p.history.iter().map(|e| e.command.clone()).collect();
    let oninput = {
        let line = line.clone();
        Callback::from(move |e: InputEvent| {
            if let Some(i) = e
                .target()
                .and_then(|t| t.dyn_into::<HtmlInputElement>().ok())
            {
                line.set(i.value());
            }
        })
    };
    let onkeydown = {
        let line = line.clone();
        let cursor = cursor.clone();
        let names = Rc::clone(&p.names);
        let run = p.run.clone();
        Callback::from(move |e: KeyboardEvent| match e.key().as_str() {
            "ArrowUp" | "ArrowDown" if !typed.is_empty() => {
                e.prevent_default();
                let last = typed.len() - 1;
                let next = match (e.key().as_str(), *cursor) {
                    ("ArrowUp", None) => Some(last),
                    ("ArrowUp", Some(i)) => Some(i.saturating_sub(1)),
                    ("ArrowDown", Some(i)) if i < last => Some(i + 1),
                    _ => None,
                };
                line.set(next.map(|i| typed[i].clone()).unwrap_or_default());
                cursor.set(next);
            }
            "Tab" => {
                if let Some(done) = crate::console::complete(&line, &names) {
                    e.prevent_default();
                    line.set(done);
                }
            }
            "Enter" => {
                e.prevent_default();
                let text = (*line).clone();
                if !text.trim().is_empty() {
                    run.emit(vec![text]);
                }
                line.set(String::new());
                cursor.set(None);
            }
            _ => {}
        })
    };
    html! {
        <section class="panel console-panel" aria-label="kubectl console">
            <h2>{ "Console" }</h2>
            <pre class="console" data-testid="console" ref={out_ref} tabindex="0" aria-label="Console output">
                { for p.history.iter().map(|e| html! {
                    <>
                        <span class="prompt">{ format!("$ {}\n", e.command) }</span>
                        <span class={if e.output.ok { "stdout" } else { "stderr" }}>
                            { format!("{}{}", e.output.stdout, e.output.stderr) }
                        </span>
                    </>
                }) }
            </pre>
            <div class="prompt-line">
                <span aria-hidden="true">{ "$" }</span>
                <input data-testid="console-input" type="text" value={(*line).clone()} {oninput} {onkeydown}
                       aria-label="Console command (Tab completes, ↑ and ↓ browse the history)"
                       placeholder="kubectl get pods" spellcheck="false" autocomplete="off" />
            </div>
        </section>
    }
}

// ---------------------------------------------------------------------------- YAML

/// Props of [`YamlEditor`].
#[derive(Properties, PartialEq)]
pub struct YamlProps {
    /// Text.
    pub text: Rc<String>,
    /// Runs `kubectl apply -f editor.yaml`.
    pub run: Runner,
    /// Edits and export.
    pub dispatch: Callback<Action>,
}

/// A YAML editor: apply (as `kubectl apply -f editor.yaml`) and export.
#[function_component(YamlEditor)]
pub fn yaml_editor(p: &YamlProps) -> Html {
    let oninput = {
        let d = p.dispatch.clone();
        Callback::from(move |e: InputEvent| {
            if let Some(t) = e
                .target()
                .and_then(|t| t.dyn_into::<HtmlTextAreaElement>().ok())
            {
                d.emit(Action::SetEditor(t.value()));
            }
        })
    };
    let apply = {
        let run = p.run.clone();
        Callback::from(move |_: MouseEvent| {
            run.emit(vec![format!(
                "kubectl apply -f {}",
                crate::console::EDITOR_FILE
            )])
        })
    };
    let export = {
        let d = p.dispatch.clone();
        Callback::from(move |_: MouseEvent| d.emit(Action::ExportYaml))
    };
    html! {
        <section class="panel yaml-panel" aria-label="YAML editor">
            <h2>{ "YAML" }</h2>
            <textarea data-testid="yaml" value={(*p.text).clone()} {oninput} spellcheck="false"
                      aria-label="Manifest to apply" placeholder="Export the Deployment and Service, edit, apply." />
            <div class="row">
                <button data-testid="export" onclick={export}>{ "Export" }</button>
                <button data-testid="apply" onclick={apply}>{ "Apply" }</button>
            </div>
        </section>
    }
}

// ---------------------------------------------------------------------------- EndpointSlice

/// Props of [`EndpointTable`].
#[derive(Properties, PartialEq)]
pub struct EndpointTableProps {
    /// The Service, if it exists.
    pub service: Option<Rc<ServiceView>>,
}

/// The Service's EndpointSlice endpoints with their conditions.
#[function_component(EndpointTable)]
pub fn endpoint_table(p: &EndpointTableProps) -> Html {
    let Some(svc) = &p.service else {
        return html! { <section class="panel"><h2>{ "EndpointSlice" }</h2><p>{ "No Service." }</p></section> };
    };
    let yes = |b: bool| if b { "true" } else { "false" };
    html! {
        <section class="panel" aria-label="EndpointSlice">
            <h2>{ format!("EndpointSlice of Service {}", svc.name) }</h2>
            <table data-testid="endpoints">
                <thead><tr><th>{ "pod" }</th><th>{ "address" }</th><th>{ "node" }</th>
                    <th>{ "ready" }</th><th>{ "serving" }</th><th>{ "terminating" }</th></tr></thead>
                <tbody>
                    { for svc.endpoints.iter().map(|e| html! {
                        <tr key={format!("{}/{}", e.pod, e.ip)} class={classes!(e.terminating.then_some("terminating"), (!e.ready).then_some("not-ready"))}>
                            <td>{ &e.pod }</td><td>{ &e.ip }</td><td>{ &e.node }</td>
                            <td>{ yes(e.ready) }</td><td>{ yes(e.serving) }</td><td>{ yes(e.terminating) }</td>
                        </tr>
                    }) }
                </tbody>
            </table>
        </section>
    }
}

// ---------------------------------------------------------------------------- rules

/// Props of [`RulesPanel`].
#[derive(Properties, PartialEq)]
pub struct RulesProps {
    /// The rules.
    pub rules: Rc<Rules>,
    /// The command that prints them.
    pub command: String,
    /// Node names to choose from.
    pub nodes: Rc<Vec<String>>,
    /// Choose a node.
    pub dispatch: Callback<Action>,
}

/// A node's programmed kube-proxy rules, lines new since the previous sync highlighted.
#[function_component(RulesPanel)]
pub fn rules_panel(p: &RulesProps) -> Html {
    let pick = {
        let d = p.dispatch.clone();
        Callback::from(move |e: Event| d.emit(Action::ShowRules(input_value(&e))))
    };
    // The Service's own lines matter; the rest of the table is context.
    html! {
        <section class="panel rules-panel" aria-label="kube-proxy rules">
            <h2>
                { "kube-proxy rules on " }
                <select data-testid="rules-node" onchange={pick} aria-label="Node">
                    { for p.nodes.iter().map(|n| html! {
                        <option value={n.clone()} selected={*n == p.rules.node}>{ n }</option>
                    }) }
                </select>
            </h2>
            <p class="cmd"><code>{ format!("$ {}", p.command) }</code></p>
            <pre class="rules" data-testid="rules" tabindex="0">
                { for p.rules.lines.iter().map(|(line, changed)| html! {
                    <span class={classes!("rule", changed.then_some("changed"))}>{ format!("{line}\n") }</span>
                }) }
            </pre>
        </section>
    }
}

// ---------------------------------------------------------------------------- events

/// Props of [`EventsLog`].
#[derive(Properties, PartialEq)]
pub struct EventsProps {
    /// Rows, newest first.
    pub events: Rc<Vec<EventRow>>,
}

/// `kubectl get events`, newest first.
#[function_component(EventsLog)]
pub fn events_log(p: &EventsProps) -> Html {
    html! {
        <section class="panel events-panel" aria-label="Events">
            <h2>{ "Events" }</h2>
            <table data-testid="events">
                <thead><tr><th>{ "at" }</th><th>{ "type" }</th><th>{ "reason" }</th><th>{ "object" }</th><th>{ "message" }</th></tr></thead>
                <tbody>
                    { for p.events.iter().map(|e| html! {
                        <tr class={classes!((e.type_ == "Warning").then_some("warning"))}>
                            <td>{ format!("{:.1}s", e.at as f64 / 1000.0) }</td><td>{ &e.type_ }</td>
                            <td>{ &e.reason }</td><td>{ &e.object }</td><td>{ &e.message }</td>
                        </tr>
                    }) }
                </tbody>
            </table>
        </section>
    }
}

// ---------------------------------------------------------------------------- chart

/// Props of [`RequestChart`].
#[derive(Properties, PartialEq)]
pub struct ChartProps {
    /// Samples, oldest first.
    pub samples: Rc<Vec<ChartSample>>,
}

/// Pods named in the chart's legend; beyond, it says how many more there are (a thousand
/// swatches would say nothing).
const LEGEND_PODS: usize = 12;

/// Requests served per pod and failures, per second of virtual time, as stacked bars.
#[function_component(RequestChart)]
pub fn request_chart(p: &ChartProps) -> Html {
    const W: usize = 300;
    const H: f64 = 80.0;
    let max = p
        .samples
        .iter()
        .map(|s| s.served.values().sum::<u64>() + s.failed)
        .max()
        .unwrap_or(0)
        .max(1);
    let mut pods: Vec<&String> = p.samples.iter().flat_map(|s| s.served.keys()).collect();
    kubeplay_core::sort::sort(&mut pods);
    pods.dedup();
    // `pods` is sorted: a binary search keeps a chart of a thousand pods linear.
    let colour = |pod: &str| pods.binary_search_by(|q| q.as_str().cmp(pod)).unwrap_or(0) % 8;
    let bar = W / crate::playground::CHART_SECONDS;
    let totals = p.samples.last().map(|s| {
        let served: u64 = s.served.values().sum();
        format!("last second: {served} served, {} failed", s.failed)
    });
    html! {
        <section class="panel chart-panel" aria-label="Requests per pod">
            <h2>{ "Requests per second, per pod" }</h2>
            <svg data-testid="chart" class="chart" viewBox={format!("0 0 {W} {H}")} role="img"
                 aria-label={totals.clone().unwrap_or_else(|| "no requests yet".into())}>
                { for p.samples.iter().enumerate().map(|(i, s)| {
                    let x = i * bar;
                    let mut y = H;
                    let mut parts = Vec::new();
                    for (pod, n) in &s.served {
                        let h = *n as f64 / max as f64 * H;
                        y -= h;
                        parts.push(html! { <rect class={format!("c{}", colour(pod))} x={x.to_string()} y={format!("{y:.1}")}
                                                 width={(bar - 1).to_string()} height={format!("{h:.1}")}>
                                               <title>{ format!("{pod}: {n}") }</title></rect> });
                    }
                    if s.failed > 0 {
                        let h = s.failed as f64 / max as f64 * H;
                        y -= h;
                        parts.push(html! { <rect class="failed" x={x.to_string()} y={format!("{y:.1}")}
                                                 width={(bar - 1).to_string()} height={format!("{h:.1}")}>
                                               <title>{ format!("failed: {}", s.failed) }</title></rect> });
                    }
                    html! { <g key={s.second}>{ for parts }</g> }
                }) }
            </svg>
            <ul class="legend">
                { for pods.iter().take(LEGEND_PODS).map(|pod| html! {
                    <li><span class={format!("swatch c{}", colour(pod))}></span>{ pod.as_str() }</li>
                }) }
                if pods.len() > LEGEND_PODS {
                    <li>{ format!("and {} more pods", pods.len() - LEGEND_PODS) }</li>
                }
                <li><span class="swatch failed"></span>{ "failed" }</li>
            </ul>
            if let Some(t) = totals { <p class="small">{ t }</p> }
        </section>
    }
}

/// The last failure causes, in words (the diagram's red dots say the same on hover).
#[derive(Properties, PartialEq)]
pub struct FailuresProps {
    /// `(outcome, cause)` of recent failed requests, newest first.
    pub failures: Rc<Vec<(String, String)>>,
}

/// Why the last requests failed.
#[function_component(Failures)]
pub fn failures(p: &FailuresProps) -> Html {
    if p.failures.is_empty() {
        return html! {};
    }
    html! {
        <section class="panel failures" aria-label="Recent failures">
            <h2>{ "Why requests failed" }</h2>
            <ul>{ for p.failures.iter().map(|(o, c)| html! { <li><strong>{ o }</strong>{ format!(": {c}") }</li> }) }</ul>
        </section>
    }
}

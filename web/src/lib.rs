//! Kubeplay's Yew front end: renders the core's `Sim` and sends it console commands.
//!
//! One reducer ([`playground::Playground`]) owns the simulated cluster; components draw its
//! snapshots and dispatch [`playground::Action`]s. No Kubernetes logic lives in this crate:
//! every control is a console line, run as a learner would type it.

pub mod announce;
pub mod console;
pub mod diagram;
pub mod lesson;
pub mod panels;
pub mod params;
pub mod playground;
pub mod scenario;

use diagram::ClusterDiagram;
use gloo::render::{request_animation_frame, AnimationFrame};
use gloo::storage::{LocalStorage, Storage};
use panels::*;
use params::{Panel, Params, Theme};
use playground::{fresh_scenario, Action, Playground, Selection, DEPLOYMENT};
use scenario::Scenario;
use std::cell::RefCell;
use std::rc::Rc;
use yew::prelude::*;

/// localStorage key of the saved scenario (one per lesson, so embedded lessons do not clobber
/// each other or the main playground).
fn storage_key(p: &Params) -> String {
    format!(
        "kubeplay.scenario.{}",
        p.lesson.as_deref().unwrap_or("playground")
    )
}

/// The URL fragment prefix of a shared scenario.
pub const SHARE_PREFIX: &str = "#s=";

/// Where the page starts: a shared scenario in the URL fragment, else (outside embeds, when
/// the URL does not ask for a particular seed or mode) the scenario saved in localStorage,
/// else a fresh cluster. A fragment that does not decode is reported and ignored.
pub fn initial_scenario(
    params: &Params,
    fragment: &str,
    saved: Option<String>,
) -> (Scenario, Vec<String>) {
    let fresh = || fresh_scenario(params.seed.unwrap_or(1), params.proxy.unwrap_or_default());
    let mut notices = Vec::new();
    if let Some(encoded) = fragment.strip_prefix(SHARE_PREFIX) {
        match Scenario::decode(&params::percent_decode(encoded)) {
            Ok(s) => return (s, notices),
            Err(e) => notices.push(format!(
                "The shared link could not be read ({e}); a fresh cluster was started instead."
            )),
        }
    }
    let wants_fresh = params.embed || params.seed.is_some() || params.proxy.is_some();
    if let (false, Some(text)) = (wants_fresh, saved) {
        match Scenario::decode(&text) {
            Ok(s) => return (s, notices),
            Err(e) => notices.push(format!(
                "The saved playground could not be restored ({e}); a fresh cluster was started."
            )),
        }
    }
    (fresh(), notices)
}

/// The page's starting state: the lesson `?lesson=` names (at `?step=`), built from the
/// lesson itself; otherwise (or when there is no such lesson, with a notice) as
/// [`initial_scenario`] says.
pub fn initial_playground(
    params: &Params,
    fragment: &str,
    saved: Option<String>,
) -> (Playground, Vec<String>) {
    let mut notices = Vec::new();
    if let Some(name) = &params.lesson {
        match playground::builtin_lesson(name) {
            Ok(lesson) => {
                let step = params.step.map_or(0, |s| s as usize - 1);
                if step >= lesson.steps.len() {
                    notices.push(format!(
                        "Lesson {name:?} has {} steps; it starts at its last one.",
                        lesson.steps.len()
                    ));
                }
                let step = step.min(lesson.steps.len().saturating_sub(1));
                return (Playground::from_lesson(lesson, step), notices);
            }
            Err(e) => notices.push(e),
        }
    }
    let (scenario, more) = initial_scenario(params, fragment, saved);
    notices.extend(more);
    (Playground::from_scenario(&scenario), notices)
}

/// Props of [`App`].
#[derive(Properties, PartialEq, Default)]
pub struct AppProps {
    /// Query string to use instead of the page's (tests).
    #[prop_or_default]
    pub query: Option<String>,
    /// Do not read or write localStorage / the URL (tests).
    #[prop_or_default]
    pub isolated: bool,
}

/// The root component.
#[function_component(App)]
pub fn app(props: &AppProps) -> Html {
    let location = gloo::utils::window().location();
    let query = props
        .query
        .clone()
        .unwrap_or_else(|| location.search().unwrap_or_default());
    let (params, param_notices) = use_memo(query, |q| params::parse(q)).as_ref().clone();
    let isolated = props.isolated;
    let playground = {
        let params = params.clone();
        let fragment = if isolated {
            String::new()
        } else {
            location.hash().unwrap_or_default()
        };
        use_reducer(move || {
            let saved = if isolated {
                None
            } else {
                LocalStorage::get::<String>(storage_key(&params)).ok()
            };
            let (mut p, notices) = initial_playground(&params, &fragment, saved);
            if let Some(speed) = params.speed {
                p.speed = speed;
            }
            p.notices = Rc::new(param_notices.into_iter().chain(notices).collect());
            p
        })
    };
    let dispatcher = playground.dispatcher();

    // The clock: one action per animation frame; the reducer caps the real time a frame may
    // cover, so a hidden tab (no frames) does not pile up work.
    {
        let dispatcher = dispatcher.clone();
        let measure = params.measure;
        use_effect_with((), move |_| {
            let handle: Rc<RefCell<Option<AnimationFrame>>> = Rc::new(RefCell::new(None));
            schedule(Rc::clone(&handle), dispatcher, measure.then(frame_log));
            move || drop(handle.borrow_mut().take())
        });
    }
    // Persistence: the scenario is saved whenever a command changed it.
    {
        let key = storage_key(&params);
        let scenario = Rc::clone(&playground.scenario);
        // A lesson restarts from its own cluster, so there is nothing to save.
        let save = !isolated && !params.embed && playground.lesson.is_none();
        use_effect_with(scenario, move |s| {
            if save {
                let _ = LocalStorage::set(key, s.encode());
            }
        });
    }

    // Callbacks handed to children are built once, so children compare equal between frames.
    let run: Runner = {
        let d = dispatcher.clone();
        use_memo((), move |_| {
            Callback::from(move |lines: Vec<String>| d.dispatch(Action::Run(lines)))
        })
        .as_ref()
        .clone()
    };
    let dispatch: Callback<Action> = {
        let d = dispatcher.clone();
        use_memo((), move |_| Callback::from(move |a: Action| d.dispatch(a)))
            .as_ref()
            .clone()
    };
    let on_select: Callback<Selection> = {
        let d = dispatcher.clone();
        use_memo((), move |_| {
            Callback::from(move |s: Selection| d.dispatch(Action::Select(s)))
        })
        .as_ref()
        .clone()
    };
    let on_kill: Callback<String> = {
        let run = run.clone();
        use_memo((), move |_| {
            Callback::from(move |pod: String| run.emit(vec![Playground::kill_command(&pod)]))
        })
        .as_ref()
        .clone()
    };
    let on_share: Callback<()> = {
        let scenario = Rc::clone(&playground.scenario);
        let d = dispatcher.clone();
        let lesson = playground
            .lesson
            .as_ref()
            .map(|l| (l.name.clone(), (l.step + 1).min(l.steps.max(1))));
        Callback::from(move |_| {
            if let Some((name, step)) = &lesson {
                // A shared scenario cannot carry the lesson's manifests; the lesson's own
                // address rebuilds this step.
                d.dispatch(Action::Notice(format!(
                    "This step of the lesson opens with ?lesson={name}&step={step}"
                )));
                return;
            }
            let hash = format!(
                "{SHARE_PREFIX}{}",
                params::percent_encode(&scenario.encode())
            );
            let loc = gloo::utils::window().location();
            let note = match (isolated, loc.set_hash(&hash)) {
                (true, _) | (false, Ok(())) => {
                    "This scenario is now in the page's address: copy it to share.".to_string()
                }
                (false, Err(_)) => "The address could not be changed in this frame.".to_string(),
            };
            d.dispatch(Action::Notice(note));
        })
    };

    let p = &*playground;
    let view = &p.view;
    let service = view.services.iter().find(|s| s.name == DEPLOYMENT).cloned();
    let node_names: Rc<Vec<String>> = Rc::new(view.nodes.iter().map(|n| n.name.clone()).collect());
    let names = use_memo(Rc::clone(view), |_| p.names());
    let selected_pod = match &p.selected {
        Selection::Pod(name) => view
            .nodes
            .iter()
            .flat_map(|n| &n.pods)
            .chain(&view.unscheduled)
            .find(|q| &q.name == name)
            .cloned(),
        _ => None,
    };
    let selected_node = match &p.selected {
        Selection::Node(name) => view
            .nodes
            .iter()
            .find(|n| &n.name == name)
            .map(|n| (n.ready, n.unschedulable, n.up)),
        _ => None,
    };
    let theme = match params.theme {
        Some(Theme::Dark) => "theme-dark",
        Some(Theme::Light) => "theme-light",
        None => "theme-auto",
    };
    let columns = match view.nodes.len() {
        0..=3 => 3,
        4 => 2,
        5..=8 => 4,
        _ => 5,
    };
    let shows = |panel: Panel| params.shows(panel);
    let clear = {
        let d = dispatcher.clone();
        Callback::from(move |_: MouseEvent| d.dispatch(Action::ClearNotices))
    };
    html! {
        <main class={classes!("kubeplay", theme, params.embed.then_some("embed"))}>
            if !params.embed {
                <header>
                    <h1>{ "Kubeplay" }</h1>
                    <p class="tagline">{ "How a Kubernetes Service routes to pods that come and go: a simulated cluster in your browser." }</p>
                </header>
            }
            if !p.notices.is_empty() {
                <div class="notices" role="status" data-testid="notices">
                    <ul>{ for p.notices.iter().map(|n| html! { <li>{ n }</li> }) }</ul>
                    <button onclick={clear} aria-label="Dismiss notices">{ "Dismiss" }</button>
                </div>
            }
            <div class="sr-only" aria-live="polite" data-testid="live">{ (*p.announcement).clone() }</div>
            if shows(Panel::Controls) {
                <ControlBar replicas={p.replicas} tag={p.tag.clone()}
                    service_type={service.as_ref().map(|s| s.type_.clone()).unwrap_or_else(|| "ClusterIP".into())}
                    traffic={p.traffic.clone()} external_target={p.external_target()}
                    proxy={p.scenario.proxy} run={run.clone()} dispatch={dispatch.clone()} />
            }
            if shows(Panel::Time) {
                <TimeBar paused={p.paused} speed={p.speed} time_ms={p.now_ms / 100 * 100}
                         dispatch={dispatch.clone()} on_share={on_share} />
            }
            <div class="stage">
                <div class="diagram-wrap">
                    <ClusterDiagram view={Rc::clone(view)} extras={Rc::clone(&p.extras)}
                        dots={Rc::clone(&p.dots)} selected={p.selected.clone()} {columns}
                        on_select={on_select} on_kill={on_kill} />
                    <p class="changed" aria-hidden="true">{ (*p.announcement).clone() }</p>
                </div>
                <aside class="side">
                    if shows(Panel::Lesson) {
                        <lesson::LessonPanel lesson={p.lesson.clone()} dispatch={dispatch.clone()} />
                    }
                    if shows(Panel::Controls) {
                        <Inspector selected={p.selected.clone()} pod={selected_pod} node={selected_node}
                                   run={run.clone()} dispatch={dispatch.clone()} />
                    }
                    <Failures failures={Rc::clone(&p.failures)} />
                    if shows(Panel::Endpoints) {
                        <EndpointTable service={service.clone()} />
                    }
                    if shows(Panel::Chart) {
                        <RequestChart samples={Rc::clone(&p.chart)} undrawn={p.undrawn} />
                    }
                </aside>
            </div>
            <div class="panels">
                if shows(Panel::Console) {
                    <Console history={Rc::clone(&p.history)} names={names} run={run.clone()} />
                }
                if shows(Panel::Yaml) {
                    <YamlEditor text={Rc::clone(&p.editor)} run={run.clone()} dispatch={dispatch.clone()} />
                }
                if shows(Panel::Rules) {
                    <RulesPanel rules={Rc::clone(&p.rules)} command={p.rules_command()}
                                nodes={node_names} dispatch={dispatch.clone()} />
                }
                if shows(Panel::Events) {
                    <EventsLog events={Rc::clone(&p.events)} />
                }
            </div>
        </main>
    }
}

/// Requests the next animation frame; each frame dispatches [`Action::Frame`] and schedules
/// the next. Dropping the handle's frame cancels the loop (and frees the closure).
/// With `measure=1`, each frame's work (reducer and render: Yew renders synchronously inside
/// `dispatch`) is timed and appended to `window.kubeplayFrameTimes`.
fn schedule(
    handle: Rc<RefCell<Option<AnimationFrame>>>,
    dispatcher: UseReducerDispatcher<Playground>,
    log: Option<js_sys::Array>,
) {
    let next = Rc::clone(&handle);
    let frame = request_animation_frame(move |now| {
        match &log {
            Some(log) => {
                let clock = gloo::utils::window().performance();
                let start = clock.as_ref().map_or(0.0, |c| c.now());
                dispatcher.dispatch(Action::Frame(now));
                let took = clock.as_ref().map_or(0.0, |c| c.now()) - start;
                log.push(&took.into());
            }
            None => dispatcher.dispatch(Action::Frame(now)),
        }
        schedule(next, dispatcher, log);
    });
    *handle.borrow_mut() = Some(frame);
}

fn frame_log() -> js_sys::Array {
    let log = js_sys::Array::new();
    let _ = js_sys::Reflect::set(&gloo::utils::window(), &"kubeplayFrameTimes".into(), &log);
    log
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    #[test]
    fn start_from_fragment_then_storage_then_fresh() {
        let (plain, _) = params::parse("");
        let shared = fresh_scenario(42, Default::default());
        let fragment = format!("{SHARE_PREFIX}{}", params::percent_encode(&shared.encode()));
        assert_eq!(
            initial_scenario(&plain, &fragment, None),
            (shared.clone(), vec![])
        );
        let saved = fresh_scenario(9, Default::default()).encode();
        assert_eq!(initial_scenario(&plain, "", Some(saved.clone())).0.seed, 9);
        // A URL asking for a seed starts fresh with it, ignoring what was saved.
        let (seeded, _) = params::parse("seed=5");
        assert_eq!(initial_scenario(&seeded, "", Some(saved)).0.seed, 5);
        assert_eq!(
            initial_scenario(&plain, "", None).0,
            fresh_scenario(1, Default::default())
        );
    }

    #[test]
    fn an_unreadable_link_gives_a_notice_and_a_fresh_cluster() {
        let (plain, _) = params::parse("");
        let (s, notices) = initial_scenario(&plain, "#s=garbage%ZZ", None);
        assert_eq!(s, fresh_scenario(1, Default::default()));
        assert_eq!(notices.len(), 1);
        assert!(
            notices[0].starts_with("The shared link could not be read"),
            "{notices:?}"
        );
    }
}

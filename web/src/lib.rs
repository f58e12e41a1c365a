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

use diagram::ClusterDiagram;
use gloo::render::{request_animation_frame, AnimationFrame};
use gloo::storage::{LocalStorage, Storage};
use kubeplay_core::share::{self, Scenario};
use panels::*;
use params::{Panel, Params, Theme};
use playground::{fresh_scenario, Action, Playground, Selection};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use yew::prelude::*;

/// localStorage key of the saved scenario (one per lesson, so embedded lessons do not clobber
/// each other or the main playground). The value is the core's share format
/// ([`kubeplay_core::share::encode`]), the same string as a shared link's fragment.
pub fn storage_key(lesson: Option<&str>) -> String {
    format!("kubeplay.scenario.v2.{}", lesson.unwrap_or("playground"))
}

/// The URL fragment prefix of a shared scenario: `#s=` then [`share::encode`]'s string
/// (base64url, safe in a fragment as is).
pub const SHARE_PREFIX: &str = "#s=";

/// The address fragment that shares `scenario`.
pub fn share_fragment(scenario: &Scenario) -> String {
    format!("{SHARE_PREFIX}{}", share::encode(scenario))
}

/// The fragment of a link that will open: a scenario past the decoder's limits (e.g. more
/// editor versions than files allowed) would give whoever opens it only a notice, so Share
/// says so instead of handing out a dead link.
pub fn checked_share_fragment(scenario: &Scenario) -> Result<String, String> {
    let encoded = share::encode(scenario);
    share::decode(&encoded)
        .map(|_| format!("{SHARE_PREFIX}{encoded}"))
        .map_err(|e| {
            format!(
                "This scenario cannot be shared as a link ({e}); Reset starts a cluster that can."
            )
        })
}

/// Opens a scenario, or says why it cannot be (it does not decode, or names a lesson that
/// does not exist).
fn open_encoded(text: &str) -> Result<Playground, String> {
    let scenario = share::decode(text).map_err(|e| e.to_string())?;
    Playground::open(&scenario)
}

/// The page's starting state, first that applies:
/// 1. a shared scenario in the URL fragment (`#s=…`);
/// 2. outside embeds, the scenario saved in localStorage for this lesson (or the plain
///    playground), if it is at the `?step=` the URL asks for, and the URL does not ask for a
///    particular seed or mode;
/// 3. the lesson `?lesson=` names, at `?step=`, built from the lesson itself;
/// 4. a fresh cluster.
///
/// A fragment or saved state that does not open is named in a notice and skipped, so the
/// page always starts whole: never a panic or a half-loaded cluster.
pub fn initial_playground(
    params: &Params,
    fragment: &str,
    saved: Option<String>,
) -> (Playground, Vec<String>) {
    let mut notices = Vec::new();
    if let Some(encoded) = fragment.strip_prefix(SHARE_PREFIX) {
        match open_encoded(encoded) {
            Ok(p) => return (p, notices),
            Err(e) => notices.push(format!(
                "The shared link could not be read ({e}); a fresh cluster was started instead."
            )),
        }
    } else if !fragment.is_empty() && fragment != "#" {
        notices.push(
            "The link's #fragment is not a Kubeplay scenario (#s=…); a fresh cluster was started."
                .to_string(),
        );
    }
    let wants_fresh = params.embed || params.seed.is_some() || params.proxy.is_some();
    if let (false, Some(text)) = (wants_fresh, saved) {
        match open_encoded(&text) {
            Ok(p) => {
                let step = p.lesson.as_ref().map(|l| l.step + 1);
                let same_place = p.lesson.as_ref().map(|l| l.name.as_str())
                    == params.lesson.as_deref()
                    && (params.step.is_none() || params.step.map(|s| s as usize) == step);
                if same_place {
                    return (p, notices);
                }
            }
            Err(e) => notices.push(format!(
                "The saved playground could not be restored ({e}); a fresh cluster was started."
            )),
        }
    }
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
    let fresh = fresh_scenario(params.seed.unwrap_or(1), params.proxy.unwrap_or_default());
    (Playground::from_scenario(&fresh), notices)
}

/// The query string with `lesson=` and `step=` set to where the learner is (1-based step),
/// or removed when no lesson is open; every other parameter kept as it was.
pub fn query_with_lesson(query: &str, lesson: Option<(&str, usize)>) -> String {
    let query = query.strip_prefix('?').unwrap_or(query);
    let mut pairs: Vec<String> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .filter(|p| {
            let key = p.split('=').next().unwrap_or("");
            key != "lesson" && key != "step"
        })
        .map(str::to_string)
        .collect();
    if let Some((name, step)) = lesson {
        pairs.insert(0, format!("step={step}"));
        pairs.insert(0, format!("lesson={}", params::percent_encode(name)));
    }
    if pairs.is_empty() {
        String::new()
    } else {
        format!("?{}", pairs.join("&"))
    }
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
    /// URL fragment to use instead of the page's (tests: a shared link's `#s=…`).
    #[prop_or_default]
    pub fragment: Option<String>,
    /// Keep the address's `lesson=` / `step=` up to date even when isolated (tests).
    #[prop_or_default]
    pub update_url: bool,
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
        let fragment = match (&props.fragment, isolated) {
            (Some(f), _) => f.clone(),
            (None, true) => String::new(),
            (None, false) => location.hash().unwrap_or_default(),
        };
        use_reducer(move || {
            let saved = if isolated {
                None
            } else {
                LocalStorage::get::<String>(storage_key(params.lesson.as_deref())).ok()
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
    // Persistence: the scenario is saved (in the share format) whenever a command changed it
    // and every 5 s of virtual time, under the open lesson's key. An untouched fresh cluster
    // or lesson is not saved: there is nothing to restore. Once a command changed a scenario
    // opened from a `#s=` link, the fragment no longer describes the page and is dropped from
    // the address, so a reload restores the saved state instead of the old link.
    let key = storage_key(playground.lesson.as_ref().map(|l| l.name.as_str()));
    let last_saved = use_mut_ref(|| None::<Rc<Scenario>>);
    {
        let key = key.clone();
        let handle = playground.clone();
        let save = !isolated && !params.embed;
        let deps = (Rc::clone(&playground.scenario), playground.now_ms / 5_000);
        use_effect_with(deps, move |(scenario, _)| {
            let commanded = last_saved
                .replace(Some(Rc::clone(scenario)))
                .is_some_and(|before| !Rc::ptr_eq(&before, scenario));
            if save {
                let s = handle.shareable();
                let untouched = match &s.lesson {
                    Some(l) => s.commands.is_empty() && l.step_starts.is_empty(),
                    None => s.commands == fresh_scenario(s.seed, s.proxy_mode.mode()).commands,
                };
                if untouched {
                    LocalStorage::delete(&key);
                } else {
                    let _ = LocalStorage::set(&key, share::encode(&s));
                }
                let loc = gloo::utils::window().location();
                let shared = loc.hash().is_ok_and(|h| h.starts_with(SHARE_PREFIX));
                if commanded && shared {
                    let url = format!(
                        "{}{}",
                        loc.pathname().unwrap_or_default(),
                        loc.search().unwrap_or_default()
                    );
                    if let Ok(history) = gloo::utils::window().history() {
                        let _ = history.replace_state_with_url(
                            &wasm_bindgen::JsValue::NULL,
                            "",
                            Some(&url),
                        );
                    }
                }
            }
        });
    }
    // The address follows the lesson and step (history.replaceState), so a reload or a
    // copied link opens the same place. A `#s=` fragment no longer describes the page once
    // the learner moved on, so it is dropped.
    {
        let place = playground
            .lesson
            .as_ref()
            .map(|l| (l.name.clone(), l.step + 1));
        let write = !isolated || props.update_url;
        use_effect_with(place, move |place| {
            if write {
                let loc = gloo::utils::window().location();
                let search = loc.search().unwrap_or_default();
                let query =
                    query_with_lesson(&search, place.as_ref().map(|(n, s)| (n.as_str(), *s)));
                if query != search {
                    let path = loc.pathname().unwrap_or_default();
                    if let Ok(history) = gloo::utils::window().history() {
                        let _ = history.replace_state_with_url(
                            &wasm_bindgen::JsValue::NULL,
                            "",
                            Some(&format!("{path}{query}")),
                        );
                    }
                }
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
    // Share puts the scenario (a lesson's included) in the address's fragment and shows the
    // link to copy.
    let share_link = use_state(|| None::<String>);
    let on_share: Callback<()> = {
        let handle = playground.clone();
        let d = dispatcher.clone();
        let share_link = share_link.clone();
        Callback::from(move |_| {
            let hash = match checked_share_fragment(&handle.shareable()) {
                Ok(hash) => hash,
                Err(why) => {
                    share_link.set(None);
                    d.dispatch(Action::Notice(why));
                    return;
                }
            };
            let loc = gloo::utils::window().location();
            let base = format!(
                "{}{}{}",
                loc.origin().unwrap_or_default(),
                loc.pathname().unwrap_or_default(),
                loc.search().unwrap_or_default()
            );
            let note = match (isolated, loc.set_hash(&hash)) {
                (true, _) | (false, Ok(())) => {
                    "This scenario is now in the page's address: copy it to share."
                }
                (false, Err(_)) => {
                    "The address could not be changed in this frame: copy the link below."
                }
            };
            share_link.set(Some(format!("{base}{hash}")));
            d.dispatch(Action::Notice(note.to_string()));
        })
    };
    // Reset also forgets the saved state.
    let on_reset: Callback<()> = {
        let d = dispatcher.clone();
        let key = key.clone();
        let share_link = share_link.clone();
        Callback::from(move |_| {
            if !isolated {
                LocalStorage::delete(&key);
            }
            share_link.set(None);
            d.dispatch(Action::Reset);
        })
    };

    let p = &*playground;
    let view = &p.view;
    let shown = p.target.service.as_ref().map(|s| s.name.clone());
    // Memoised on the view: a thousand endpoints are not cloned (and compared) every frame.
    let service = use_memo((Rc::clone(view), shown.clone()), |(view, shown)| {
        view.services
            .iter()
            .find(|s| Some(&s.name) == shown.as_ref())
            .cloned()
            .map(Rc::new)
    });
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
                <ControlBar target={Rc::clone(&p.target)}
                    traffic={p.traffic.clone()} external_target={p.external_target()}
                    proxy={p.scenario.proxy_mode.mode()} run={run.clone()} dispatch={dispatch.clone()} />
            }
            if shows(Panel::Time) {
                <TimeBar paused={p.paused} speed={p.speed} time_ms={p.now_ms / 100 * 100}
                         dispatch={dispatch.clone()} on_share={on_share} on_reset={on_reset} />
            }
            if let Some(link) = &*share_link {
                <p class="share-link">
                    <label>{ "Link to this scenario " }
                        <input data-testid="share-link" type="text" readonly=true value={link.clone()}
                               aria-label="Link to this scenario" />
                    </label>
                </p>
            }
            <div class="stage">
                <div class="diagram-wrap">
                    <ClusterDiagram view={Rc::clone(view)} extras={Rc::clone(&p.extras)}
                        dots={Rc::clone(&p.dots)} selected={p.selected.clone()} {columns} service={shown}
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
                        <EndpointTable service={(*service).clone()} />
                    }
                    if shows(Panel::Chart) {
                        <RequestChart samples={Rc::clone(&p.chart)} />
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
/// With `measure=1`, each frame's work is timed and appended to `window.kubeplayFrameTimes`:
/// the reducer runs inside `dispatch`, but Yew renders in a microtask queued by it, so the
/// clock stops in a microtask queued after Yew's (microtasks run in order, before the frame
/// is painted).
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
                let log = log.clone();
                // A once-closure handed to JS frees itself after it ran.
                let stop = wasm_bindgen::closure::Closure::once_into_js(move || {
                    let took = clock.as_ref().map_or(0.0, |c| c.now()) - start;
                    log.push(&took.into());
                });
                gloo::utils::window().queue_microtask(stop.unchecked_ref());
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
    fn share_refuses_a_scenario_its_link_could_not_open() {
        let mut scenario = Playground::new().shareable();
        let fine = checked_share_fragment(&scenario).expect("a fresh cluster shares");
        assert!(open_encoded(fine.trim_start_matches(SHARE_PREFIX)).is_ok());
        for i in 0..=share::MAX_MANIFESTS {
            scenario
                .files
                .insert(format!("editor-{i}.yaml"), format!("# version {i}\n"));
        }
        let why = checked_share_fragment(&scenario).expect_err("too many files");
        assert!(why.contains("cannot be shared as a link"), "{why}");
        assert!(why.contains(&share::MAX_MANIFESTS.to_string()), "{why}");
    }

    fn pods(p: &Playground) -> Vec<(String, Option<String>)> {
        p.view
            .nodes
            .iter()
            .flat_map(|n| &n.pods)
            .map(|q| (q.name.clone(), q.ip.clone()))
            .collect()
    }

    #[test]
    fn start_from_fragment_then_storage_then_fresh() {
        let (plain, _) = params::parse("");
        let shared = fresh_scenario(42, Default::default());
        let (p, notices) = initial_playground(&plain, &share_fragment(&shared), None);
        assert_eq!((p.scenario.seed, notices), (42, vec![]));
        let mut saved = fresh_scenario(9, Default::default());
        saved.commands.push(kubeplay_core::share::TimedCommand {
            at: 0,
            line: "kubectl scale deployment web --replicas=5".into(),
        });
        let saved = share::encode(&saved);
        let (p, _) = initial_playground(&plain, "", Some(saved.clone()));
        assert_eq!(p.scenario.seed, 9);
        assert_eq!(pods(&p).len(), 6, "five web pods and the client");
        // A URL asking for a seed starts fresh with it, ignoring what was saved.
        let (seeded, _) = params::parse("seed=5");
        assert_eq!(
            initial_playground(&seeded, "", Some(saved)).0.scenario.seed,
            5
        );
        assert_eq!(
            *initial_playground(&plain, "", None).0.scenario,
            fresh_scenario(1, Default::default())
        );
    }

    #[test]
    fn unreadable_links_give_a_notice_and_a_fresh_cluster() {
        let (plain, _) = params::parse("");
        let fresh = Playground::from_scenario(&fresh_scenario(1, Default::default()));
        let mut unknown_lesson = fresh_scenario(1, Default::default());
        unknown_lesson.lesson = Some(kubeplay_core::share::LessonProgress {
            name: "no-such-lesson".into(),
            step_starts: vec![],
        });
        let cases = [
            (
                "#s=garbage%ZZ".to_string(),
                "The shared link could not be read (invalid shared state: not base64url",
            ),
            (
                "#s=".to_string(),
                "The shared link could not be read (invalid shared state: empty",
            ),
            (
                share_fragment(&unknown_lesson),
                "The shared link could not be read (There is no lesson \"no-such-lesson\"",
            ),
            ("#section-2".to_string(), "is not a Kubeplay scenario"),
        ];
        for (fragment, why) in cases {
            let (p, notices) = initial_playground(&plain, &fragment, None);
            assert_eq!(pods(&p), pods(&fresh), "{fragment}");
            assert!(p.lesson.is_none());
            assert_eq!(notices.len(), 1, "{fragment}: {notices:?}");
            assert!(notices[0].contains(why), "{fragment}: {notices:?}");
        }
    }

    #[test]
    fn a_saved_lesson_is_restored_only_at_the_place_the_url_names() {
        let lesson = playground::builtin_lesson("service-stable-ip").expect("built in");
        let p = Rc::new(Playground::from_lesson(lesson, 0))
            .reduce(Action::LessonCommand(0))
            .reduce(Action::LessonNext);
        let saved = share::encode(&p.shareable());
        let restored = |query: &str| {
            let (params, _) = params::parse(query);
            initial_playground(&params, "", Some(saved.clone())).0
        };
        let step = |p: &Playground| p.lesson.as_ref().map(|l| l.step);
        assert_eq!(step(&restored("lesson=service-stable-ip&step=2")), Some(1));
        // Restored, not rebuilt: the learner's command is in the console again.
        let again = restored("lesson=service-stable-ip&step=2");
        assert_eq!(again.shareable().commands, p.shareable().commands);
        // Another step in the URL: the lesson opens there, from its own cluster.
        assert_eq!(step(&restored("lesson=service-stable-ip&step=1")), Some(0));
        // The plain playground does not restore a lesson's state.
        assert_eq!(step(&restored("")), None);
    }

    #[test]
    fn the_query_follows_the_lesson_and_step() {
        let cases = [
            (
                "",
                Some(("service-types", 2)),
                "?lesson=service-types&step=2",
            ),
            (
                "?embed=1&lesson=a&step=4&theme=dark",
                Some(("b", 1)),
                "?lesson=b&step=1&embed=1&theme=dark",
            ),
            ("?lesson=a&step=4&theme=dark", None, "?theme=dark"),
            ("?lesson=a", None, ""),
            ("", None, ""),
        ];
        for (query, place, want) in cases {
            assert_eq!(query_with_lesson(query, place), want, "{query}");
        }
    }
}

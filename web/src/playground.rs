//! The page's one piece of state: the simulated cluster, plus what the page shows of it.
//!
//! Everything the user does becomes an [`Action`] on this reducer; the components only draw
//! the snapshots it holds and dispatch actions. No Kubernetes logic lives here: every control
//! becomes a console line ([`Playground::scale_command`] and friends) run exactly as a learner
//! would type it, and echoed in the console.

use crate::announce;
use crate::console::{self, PageFiles, CLIENT_FILE, CLIENT_POD_YAML, EDITOR_FILE};
use crate::diagram;
use crate::params::proxy_word;
use kubeplay_core::dataplane::{Client, Outcome, SyncStatus};
use kubeplay_core::kubectl::CommandOutput;
use kubeplay_core::lesson::target::{self, Target};
use kubeplay_core::lesson::{builtin, CheckResult, Lesson, LessonSession, ProxyModeName};
use kubeplay_core::proxy::{Programmed, ProxyMode};
use kubeplay_core::share::{Scenario, TimedCommand};
use kubeplay_core::sim::{Sim, SimConfig};
use kubeplay_core::sort::CollectOrdered;
use kubeplay_core::time::Millis;
use kubeplay_core::view::{ClusterView, ViewStamp};
use std::cell::{Ref, RefCell};
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;
use yew::Reducible;

/// The Deployment and Service of the starting cluster; the diagram shows this Service when
/// there is one (else the first that selects pods: [`target::shown_service`]).
pub const DEPLOYMENT: &str = "web";
/// Its replicas at start.
pub const INITIAL_REPLICAS: u32 = 3;
/// Image repository of the Deployment; the controls pick a tag.
pub const IMAGE: &str = "nginx";
/// Tags offered by "roll out an image"; the first is the starting image.
pub const TAGS: [&str; 5] = ["1.25", "1.26", "1.27", "1.28", "1.27-broken"];
/// `spec.sessionAffinity` values offered.
pub const AFFINITIES: [&str; 2] = ["None", "ClientIP"];
/// `spec.externalTrafficPolicy` values offered.
pub const TRAFFIC_POLICIES: [&str; 2] = ["Cluster", "Local"];
/// Service types offered.
pub const SERVICE_TYPES: [&str; 3] = ["ClusterIP", "NodePort", "LoadBalancer"];
/// The namespace drawn.
pub const NAMESPACE: &str = "default";
/// Starting request rate of the client pod.
pub const INITIAL_RATE: u32 = 5;
/// A frame never advances more than this much real time, so a hidden tab (whose frames stop)
/// does not pile up minutes of simulation when it comes back.
pub const MAX_FRAME_MS: f64 = 100.0;
/// "Step" advances this much virtual time.
pub const STEP_MS: Millis = 100;
/// How long (real time) a request dot travels.
pub const DOT_LIFE_MS: f64 = 900.0;
/// A failed request's dot stays where it stopped this long, so its cause can be read on hover.
pub const FAILED_DOT_LIFE_MS: f64 = 3_000.0;
/// At most this many dots at once (at high rates the rest are counted, not drawn).
pub const MAX_DOTS: usize = 48;
/// Seconds of history in the per-pod request chart.
pub const CHART_SECONDS: usize = 30;
/// Lines of console history kept.
const HISTORY_MAX: usize = 200;
/// Events listed.
const EVENTS_MAX: usize = 40;
/// A lesson's checks are evaluated after every command and on every this many frames
/// (about four times a second): often enough to tick as the cluster converges, without
/// re-reading the store on every frame.
pub const CHECK_EVERY_FRAMES: u32 = 15;

/// The simulated cluster: a plain playground's, or the one a lesson session built and owns
/// (so that its checks see every command and take their baselines from it).
enum World {
    Plain(Box<Sim>),
    Lesson(Box<LessonSession>),
}

impl World {
    fn sim(&self) -> &Sim {
        match self {
            World::Plain(sim) => sim,
            World::Lesson(session) => &session.sim,
        }
    }

    /// Lets time pass (through the session in a lesson, so its scenario's clock follows).
    fn advance(&mut self, ms: Millis) {
        match self {
            World::Plain(sim) => sim.advance(ms),
            World::Lesson(session) => session.advance(ms),
        }
    }
}

/// What the lesson sidebar shows: the lesson, its current step and how that step's checks
/// stand.
#[derive(Clone, Debug, PartialEq)]
pub struct LessonState {
    /// Built-in lesson name.
    pub name: String,
    /// Title.
    pub title: String,
    /// Introduction (markdown source, shown as plain paragraphs).
    pub intro: String,
    /// Current step, 0-based (`steps` once finished).
    pub step: usize,
    /// Number of steps.
    pub steps: usize,
    /// The current step's title and text (empty once finished).
    pub step_title: String,
    /// The current step's text.
    pub text: String,
    /// Suggested commands, placeholders filled from the cluster now (or why they cannot be).
    pub suggested: Vec<Result<String, String>>,
    /// The step's UI actions: `(id, the console line it runs or why it cannot run now)`.
    pub actions: Vec<(String, Result<String, String>)>,
    /// The current step's checks, as last evaluated.
    pub checks: Vec<CheckResult>,
}

/// Loads a built-in lesson, or says why it cannot be opened (for a notice).
pub fn builtin_lesson(name: &str) -> Result<Lesson, String> {
    match builtin::load(name) {
        None => Err(format!(
            "There is no lesson {name:?}; the lessons are: {}. This is the plain playground.",
            builtin::names().join(", ")
        )),
        Some(Err(e)) => Err(format!("Lesson {name:?} could not be read: {e}")),
        Some(Ok(lesson)) => Ok(lesson),
    }
}

/// A command the page ran and what the console printed for it.
#[derive(Clone, Debug, PartialEq)]
pub struct Echo {
    /// The command line, as typed.
    pub command: String,
    /// The console's answer.
    pub output: CommandOutput,
}

/// Who a request came from, as the diagram places it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Sender {
    /// A pod (its name).
    Pod(String),
    /// A client outside the cluster.
    External,
}

/// A request being animated.
#[derive(Clone, Debug, PartialEq)]
pub struct Dot {
    /// The data plane's request id (the key).
    pub id: u64,
    /// Sender.
    pub from: Sender,
    /// Node whose rules routed it.
    pub node: Option<String>,
    /// Pod that answered, if any.
    pub pod: Option<String>,
    /// `served`, `refused`, `timed out`, …
    pub outcome: &'static str,
    /// Why, in words (failures).
    pub cause: String,
    /// Real time it appeared (ms, the frame clock).
    pub born: f64,
}

/// One row of the events log.
#[derive(Clone, Debug, PartialEq)]
pub struct EventRow {
    /// Virtual time of the last occurrence.
    pub at: Millis,
    /// `Normal` / `Warning`.
    pub type_: String,
    /// Reason.
    pub reason: String,
    /// `kind/name`.
    pub object: String,
    /// Message.
    pub message: String,
}

/// One second of the request chart.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ChartSample {
    /// The second (virtual).
    pub second: u64,
    /// Requests served per pod name.
    pub served: BTreeMap<String, u64>,
    /// Requests that failed.
    pub failed: u64,
}

/// A node's kube-proxy state, for the node header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProxyState {
    /// In sync with the API.
    pub in_sync: bool,
    /// Stale for this long (ms).
    pub stale_ms: Millis,
    /// Not programmed at all (node down or just added).
    pub unprogrammed: bool,
}

/// What the diagram needs beyond the core's [`ClusterView`]: kube-proxy state per node, which
/// nodes have each endpoint programmed, and ReplicaSet revision colours.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Extras {
    /// Per node name.
    pub proxy: BTreeMap<String, ProxyState>,
    /// Per `service/ip`: the nodes whose kube-proxy routes to that endpoint. Behind an `Rc`
    /// (compared by pointer first): it is large with many pods and rarely changes.
    pub programmed: Rc<BTreeMap<String, BTreeSet<String>>>,
    /// Per `pod-template-hash`: a colour index, in order of first sight.
    pub revisions: Rc<BTreeMap<String, usize>>,
}

/// The kube-proxy rules panel.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Rules {
    /// Node shown.
    pub node: String,
    /// Lines, with whether each one is new since the previous sync shown.
    pub lines: Vec<(String, bool)>,
    /// Sync time the lines are from.
    pub synced_at: Millis,
}

/// What is selected in the diagram.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum Selection {
    /// Nothing.
    #[default]
    None,
    /// A pod, by name.
    Pod(String),
    /// A node, by name.
    Node(String),
}

/// The traffic control's settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Traffic {
    /// Requests per second (0 = stopped).
    pub rate: u32,
    /// HTTP keep-alive.
    pub keep_alive: bool,
    /// From the external user instead of the client pod.
    pub external: bool,
}

/// What the user (or the clock) can do to the playground.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// An animation frame at real time `now` (ms).
    Frame(f64),
    /// Advance [`STEP_MS`] of virtual time.
    Step,
    /// Pause or resume the clock.
    SetPaused(bool),
    /// Set the speed (virtual ms per real ms).
    SetSpeed(f64),
    /// Run console lines, in order (each echoed).
    Run(Vec<String>),
    /// Select a pod or node.
    Select(Selection),
    /// Show this node's kube-proxy rules.
    ShowRules(String),
    /// The YAML editor's text changed.
    SetEditor(String),
    /// Fill the editor with the Deployment and Service as YAML (`kubectl get … -o yaml`).
    ExportYaml,
    /// Rebuild the cluster with another kube-proxy mode, replaying the scenario.
    SetProxy(ProxyMode),
    /// Start over with a fresh cluster.
    Reset,
    /// Replace the cluster by a scenario (from a shared link or storage).
    Load(Scenario),
    /// Show a notice (bad URL parameter, undecodable link).
    Notice(String),
    /// Dismiss all notices.
    ClearNotices,
    /// Open a built-in lesson (by name) at its first step.
    OpenLesson(String),
    /// Leave the lesson for a fresh playground (no-op outside a lesson).
    CloseLesson,
    /// Run the lesson step's suggested command with this index.
    LessonCommand(usize),
    /// Run the lesson step's UI action with this index (its console line, echoed).
    LessonAction(usize),
    /// Go on to the lesson's next step.
    LessonNext,
    /// Go back to the lesson's previous step.
    LessonPrevious,
}

/// The reducer state.
///
/// The `Sim` is large and not `Clone`, so every state shares one `Sim` and carries its own
/// snapshots: a render only ever reads the snapshots. Collections are behind `Rc` so that a
/// new state shares whatever did not change (and components compare them cheaply).
#[derive(Clone)]
pub struct Playground {
    sim: Rc<RefCell<World>>,
    /// The open lesson, if any.
    pub lesson: Option<Rc<LessonState>>,
    frames_since_check: u32,
    /// The cluster as drawn. Rebuilt only when its [`ViewStamp`] changed or it follows the
    /// clock (grace countdowns, new IPs), so its `time_ms` may lag: the clock is `now_ms`.
    pub view: Rc<ClusterView>,
    /// What `view` was built from.
    stamp: Option<Rc<ViewStamp>>,
    /// When the clock alone changes what `view` draws ([`diagram::redraw_at`]); kept so a
    /// frame need not walk every pod to find out.
    redraw_at: Option<Millis>,
    /// Each node's kube-proxy sync state when `extras.programmed` was computed.
    synced: Rc<Vec<SyncStatus>>,
    /// Virtual time.
    pub now_ms: Millis,
    /// Proxy state and colours for the diagram.
    pub extras: Rc<Extras>,
    /// Commands run so far, oldest first.
    pub history: Rc<Vec<Echo>>,
    /// How to rebuild this cluster.
    pub scenario: Rc<Scenario>,
    /// Virtual ms per real ms.
    pub speed: f64,
    /// Clock stopped.
    pub paused: bool,
    /// Requests being animated.
    pub dots: Rc<Vec<Dot>>,
    /// Requests not drawn because too many were in flight.
    pub undrawn: u64,
    /// Latest distinct failure causes `(outcome, cause)`, newest first.
    pub failures: Rc<Vec<(String, String)>>,
    /// Real time of the last frame.
    pub real_ms: Option<f64>,
    /// Virtual time not yet advanced (sub-millisecond remainders of frames).
    carry: f64,
    /// The live region's text.
    pub announcement: Rc<String>,
    /// Per-second request counts.
    pub chart: Rc<Vec<ChartSample>>,
    /// Recent events, newest first.
    pub events: Rc<Vec<EventRow>>,
    events_seen: u64,
    /// Traffic settings.
    pub traffic: Traffic,
    /// Diagram selection.
    pub selected: Selection,
    /// kube-proxy rules panel.
    pub rules: Rc<Rules>,
    /// YAML editor text.
    pub editor: Rc<String>,
    /// Notices to show (bad parameters, …).
    pub notices: Rc<Vec<String>>,
    /// What the controls act on: the shown Service and the Deployment behind it.
    pub target: Rc<Target>,
    last_request: u64,
}

/// The console lines that build the starting cluster: the Deployment, its Service, the
/// client pod and its traffic.
pub fn starting_commands() -> Vec<String> {
    vec![
        format!(
            "kubectl create deployment {DEPLOYMENT} --image={IMAGE}:{} --replicas={INITIAL_REPLICAS}",
            TAGS[0]
        ),
        format!("kubectl expose deployment {DEPLOYMENT} --port=80"),
        format!("kubectl apply -f {CLIENT_FILE}"),
        format!("traffic start --from client --rate {INITIAL_RATE} {DEPLOYMENT}"),
    ]
}

/// The core's name for a proxy mode (what a scenario stores).
pub fn mode_name(mode: ProxyMode) -> ProxyModeName {
    match mode {
        ProxyMode::Iptables => ProxyModeName::Iptables,
        ProxyMode::Ipvs => ProxyModeName::Ipvs,
        ProxyMode::Nftables => ProxyModeName::Nftables,
    }
}

/// A fresh scenario with `seed`, nodes and proxy mode, running [`starting_commands`] (their
/// file, the client pod's manifest, travels in the scenario's `files`).
pub fn fresh_scenario(seed: u64, proxy: ProxyMode) -> Scenario {
    let files = BTreeMap::from([(CLIENT_FILE.to_string(), CLIENT_POD_YAML.to_string())]);
    let mut s = Scenario::new(seed, 3, mode_name(proxy), Vec::new(), files);
    s.commands = starting_commands()
        .into_iter()
        .map(|line| TimedCommand { at: 0, line })
        .collect();
    s
}

/// The YAML editor's text as a file of the scenario: the name of a file holding `text`
/// already, else a new `editor-N.yaml` added to `files`. Every applied version of the editor
/// is kept, so replaying `kubectl apply -f editor-N.yaml` applies what was applied then.
pub fn editor_file(files: &mut BTreeMap<String, String>, text: &str) -> String {
    let existing = files
        .iter()
        .find(|(name, t)| name.starts_with("editor-") && t.as_str() == text)
        .map(|(name, _)| name.clone());
    existing.unwrap_or_else(|| {
        let n = files.keys().filter(|k| k.starts_with("editor-")).count() + 1;
        let name = format!("editor-{n}.yaml");
        files.insert(name.clone(), text.to_string());
        name
    })
}

/// A console line naming the editor's file, with the file it refers to now (see
/// [`editor_file`]); other lines unchanged.
fn with_editor_file(line: &str, files: &mut BTreeMap<String, String>, editor: &str) -> String {
    if line.split_whitespace().any(|w| w == EDITOR_FILE) {
        let name = editor_file(files, editor);
        line.split(' ')
            .map(|w| if w == EDITOR_FILE { name.as_str() } else { w })
            .collect::<Vec<_>>()
            .join(" ")
    } else {
        line.to_string()
    }
}

impl Playground {
    /// The default cluster: three nodes, `web` with [`INITIAL_REPLICAS`] pods behind a Service,
    /// and a client pod sending it requests.
    pub fn new() -> Playground {
        Playground::from_scenario(&fresh_scenario(1, ProxyMode::Iptables))
    }

    /// Rebuilds the cluster a scenario describes: a lesson in progress resumes at its step
    /// (through the core's [`LessonSession::resume`]); a playground scenario replays its
    /// commands at their times as the page ran them. Fails (for a notice) when the scenario
    /// names a lesson that does not exist or does not start from that lesson's cluster.
    pub fn open(scenario: &Scenario) -> Result<Playground, String> {
        let Some(progress) = &scenario.lesson else {
            return Ok(Playground::from_scenario(scenario));
        };
        let lesson = builtin_lesson(&progress.name)?;
        let session = LessonSession::resume(lesson, scenario)?;
        let history = session
            .setup()
            .iter()
            .map(|c| Echo {
                command: c.line.clone(),
                output: c.output.clone(),
            })
            .chain(std::iter::once(Echo {
                command: format!(
                    "# lesson {} resumed at step {} from a saved or shared scenario ({} commands replayed)",
                    progress.name,
                    progress.step() + 1,
                    scenario.commands.len()
                ),
                output: CommandOutput::ok(""),
            }))
            .collect();
        Ok(Playground::lesson_playground(session, history))
    }

    /// Rebuilds a playground scenario (one without a lesson) by running its commands at
    /// their times, as the page's console runs them (without blocking).
    pub fn from_scenario(scenario: &Scenario) -> Playground {
        let mut sim = Sim::new(SimConfig {
            nodes: scenario.nodes,
            seed: scenario.seed,
            proxy_mode: scenario.proxy_mode.mode(),
            // The page never shows the trace hash; hashing every object costs at 1,000 pods.
            trace_objects: false,
            ..Default::default()
        });
        let files = PageFiles::from_files(&scenario.files);
        let mut history = Vec::new();
        for (i, text) in scenario.manifests.iter().enumerate() {
            // The page's own scenarios start from commands; a scenario made elsewhere may
            // start from manifests, applied as the core applies them.
            let name = format!("manifest-{}.yaml", i + 1);
            let line = format!("kubectl apply -f {name}");
            let mut with = scenario.files.clone();
            with.insert(name, text.clone());
            let output = console::run(&mut sim, &line, &PageFiles::from_files(&with));
            history.push(Echo {
                command: line,
                output,
            });
        }
        for c in &scenario.commands {
            let now = sim.now();
            if c.at > now {
                sim.advance(c.at - now);
            }
            let output = console::run(&mut sim, &c.line, &files);
            history.push(Echo {
                command: c.line.clone(),
                output,
            });
        }
        if scenario.now > sim.now() {
            sim.advance(scenario.now - sim.now());
        }
        let mut p = Playground::assemble(World::Plain(Box::new(sim)), history, scenario.clone());
        p.editor = Rc::new(
            scenario
                .files
                .iter()
                .filter(|(name, _)| name.starts_with("editor-"))
                .max_by_key(|(name, _)| {
                    name.trim_start_matches("editor-")
                        .trim_end_matches(".yaml")
                        .parse::<usize>()
                        .unwrap_or(0)
                })
                .map(|(_, text)| text.clone())
                .unwrap_or_default(),
        );
        p
    }

    /// Opens a built-in lesson at `step` (0-based): builds the lesson's cluster through the
    /// core's [`LessonSession`] and, so that the cluster is where that step expects it, runs
    /// the suggested commands of the steps before it.
    pub fn from_lesson(lesson: Lesson, step: usize) -> Playground {
        let mut session = LessonSession::start(lesson);
        let mut history: Vec<Echo> = session
            .setup()
            .iter()
            .map(|c| Echo {
                command: c.line.clone(),
                output: c.output.clone(),
            })
            .collect();
        while session.step < step && !session.finished() {
            let n = session.current().map_or(0, |s| s.commands.len());
            for i in 0..n {
                if let Some(c) = session.run_suggested(i) {
                    history.push(Echo {
                        command: c.line,
                        output: c.output,
                    });
                }
            }
            session.next_step();
        }
        Playground::lesson_playground(session, history)
    }

    fn lesson_playground(session: LessonSession, history: Vec<Echo>) -> Playground {
        let name = session.lesson.name.clone();
        let scenario = session.scenario().clone();
        let mut p = Playground::assemble(World::Lesson(Box::new(session)), history, scenario);
        p.lesson = Some(Rc::new(LessonState {
            name,
            title: String::new(),
            intro: String::new(),
            step: 0,
            steps: 0,
            step_title: String::new(),
            text: String::new(),
            suggested: Vec::new(),
            actions: Vec::new(),
            checks: Vec::new(),
        }));
        p.check_lesson();
        p
    }

    fn assemble(world: World, history: Vec<Echo>, scenario: Scenario) -> Playground {
        let view = Rc::new(world.sim().view(Some(NAMESPACE)));
        let target = Rc::new(target::target(world.sim(), NAMESPACE, DEPLOYMENT));
        let mut p = Playground {
            sim: Rc::new(RefCell::new(world)),
            lesson: None,
            frames_since_check: 0,
            now_ms: view.time_ms,
            redraw_at: diagram::redraw_at(&view),
            view,
            stamp: None,
            synced: Rc::default(),
            extras: Rc::default(),
            history: Rc::new(history),
            scenario: Rc::new(scenario),
            speed: 1.0,
            paused: false,
            dots: Rc::default(),
            undrawn: 0,
            failures: Rc::default(),
            real_ms: None,
            carry: 0.0,
            announcement: Rc::default(),
            chart: Rc::default(),
            events: Rc::default(),
            events_seen: u64::MAX,
            traffic: Traffic {
                rate: INITIAL_RATE,
                keep_alive: false,
                external: false,
            },
            selected: Selection::None,
            rules: Rc::default(),
            editor: Rc::default(),
            notices: Rc::default(),
            target,
            last_request: 0,
        };
        let history = Rc::clone(&p.history);
        p.settings_from(&history);
        p.refresh(false);
        let last = p.sim().infra.dataplane.last().map_or(0, |r| r.id);
        p.last_request = last;
        p.rules = Rc::new(p.rules_for("node-1"));
        p
    }

    /// Derives the traffic control's settings from the commands run so far, so a restored
    /// scenario shows them as they were (replicas, image and the Service's fields are read
    /// from the cluster: [`Playground::target`]).
    fn settings_from(&mut self, echoes: &[Echo]) {
        for e in echoes.iter().filter(|e| e.output.ok) {
            let words: Vec<&str> = e.command.split_whitespace().collect();
            if words.first() == Some(&"traffic") {
                match words.get(1) {
                    Some(&"stop") => self.traffic.rate = 0,
                    Some(&"start") => {
                        self.traffic.external = words.contains(&"--external");
                        self.traffic.keep_alive = words.contains(&"--keep-alive");
                        self.traffic.rate = words
                            .iter()
                            .position(|w| *w == "--rate")
                            .and_then(|i| words.get(i + 1))
                            .and_then(|r| r.parse().ok())
                            .unwrap_or(10);
                    }
                    _ => {}
                }
            }
        }
    }

    fn sim(&self) -> Ref<'_, Sim> {
        Ref::map(self.sim.borrow(), World::sim)
    }

    /// Runs `f` with the simulated cluster (read-only uses: the console's completions).
    pub fn with_sim<R>(&self, f: impl FnOnce(&Sim) -> R) -> R {
        f(&self.sim())
    }

    /// Re-reads the lesson's step and evaluates its checks against the cluster now.
    fn check_lesson(&mut self) {
        self.frames_since_check = 0;
        let Some(old) = &self.lesson else {
            return;
        };
        let world = self.sim.borrow();
        let World::Lesson(session) = &*world else {
            return;
        };
        let step = session.current();
        let state = LessonState {
            name: old.name.clone(),
            title: session.lesson.title.clone(),
            intro: session.lesson.intro.clone(),
            step: session.step,
            steps: session.lesson.steps.len(),
            step_title: step.map(|s| s.title.clone()).unwrap_or_default(),
            text: step.map(|s| s.text.clone()).unwrap_or_default(),
            suggested: session.suggested(),
            actions: step
                .map(|s| {
                    s.actions
                        .iter()
                        .map(|id| (id.clone(), action_command(id, &self.target)))
                        .collect()
                })
                .unwrap_or_default(),
            checks: session.check_step(),
        };
        drop(world);
        if Some(&state) != self.lesson.as_deref() {
            self.lesson = Some(Rc::new(state));
        }
    }

    /// Runs the lesson step's `i`-th suggested command, echoed in the console.
    fn run_suggested(&mut self, i: usize) {
        let record = match &mut *self.sim.borrow_mut() {
            World::Lesson(session) => session.run_suggested(i),
            World::Plain(_) => None,
        };
        if let Some(c) = record {
            self.sync_lesson_scenario();
            self.push_history(vec![Echo {
                command: c.line,
                output: c.output,
            }]);
        }
    }

    fn push_history(&mut self, echoes: Vec<Echo>) {
        let mut history = (*self.history).clone();
        let first_new = history.len();
        history.extend(echoes);
        self.settings_from(&history[first_new..]);
        let excess = history.len().saturating_sub(HISTORY_MAX);
        history.drain(..excess);
        self.history = Rc::new(history);
    }

    /// Object names the console completes.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .view
            .nodes
            .iter()
            .flat_map(|n| {
                std::iter::once(n.name.clone()).chain(n.pods.iter().map(|p| p.name.clone()))
            })
            .chain(self.view.services.iter().map(|s| s.name.clone()))
            .collect();
        if let Ok(d) = &self.target.deployment {
            names.push(d.name.clone());
        }
        names
    }

    /// In a lesson, the scenario is the session's own (it records every command and step).
    fn sync_lesson_scenario(&mut self) {
        if let World::Lesson(session) = &*self.sim.borrow() {
            self.scenario = Rc::new(session.scenario().clone());
        }
    }

    /// The scenario as it stands now (what Share and the saved state hold): every command
    /// so far and the current virtual time.
    pub fn shareable(&self) -> Scenario {
        match &*self.sim.borrow() {
            World::Lesson(session) => session.scenario().clone(),
            World::Plain(sim) => {
                let mut s = (*self.scenario).clone();
                s.now = sim.now();
                s
            }
        }
    }

    // ---- the console lines behind the controls -----------------------------------------

    /// `kubectl scale deployment NAME --replicas=N`.
    pub fn scale_command(deployment: &str, n: u32) -> String {
        format!("kubectl scale deployment {deployment} --replicas={n}")
    }

    /// `kubectl set image deployment/NAME CONTAINER=REPOSITORY:TAG`.
    pub fn image_command(deployment: &str, container: &str, image: &str, tag: &str) -> String {
        format!(
            "kubectl set image deployment/{deployment} {container}={}:{tag}",
            repository(image)
        )
    }

    /// `kubectl rollout undo|pause|resume deployment/NAME`.
    pub fn rollout_command(verb: &str, deployment: &str) -> String {
        format!("kubectl rollout {verb} deployment/{deployment}")
    }

    /// Kill a pod: delete it without waiting (the animation shows the wait).
    pub fn kill_command(pod: &str) -> String {
        format!("kubectl delete pod {pod} --wait=false")
    }

    /// Set a pod's labels (`--overwrite`; `key-` removes a label).
    pub fn label_command(pod: &str, labels: &str) -> String {
        format!("kubectl label pod {pod} {labels} --overwrite")
    }

    /// `node fail|recover NODE`, `kubectl cordon|uncordon|drain NODE`.
    pub fn node_command(verb: &str, node: &str) -> String {
        match verb {
            "fail" | "recover" => format!("node {verb} {node}"),
            "drain" => format!("kubectl drain {node} --ignore-daemonsets --delete-emptydir-data"),
            _ => format!("kubectl {verb} {node}"),
        }
    }

    /// `node add`.
    pub fn add_node_command() -> String {
        "node add".to_string()
    }

    /// Change the Service's type. Leaving NodePort/LoadBalancer also clears the fields that
    /// only those types may carry, as a user patching by hand must.
    pub fn service_type_command(service: &str, type_: &str) -> String {
        let patch = if type_ == "ClusterIP" {
            r#"{"spec":{"type":"ClusterIP","externalTrafficPolicy":null,"ports":[{"port":80,"nodePort":null}]}}"#.to_string()
        } else {
            format!(r#"{{"spec":{{"type":"{type_}"}}}}"#)
        };
        format!("kubectl patch service {service} -p '{patch}'")
    }

    /// Set the Service's `sessionAffinity`. Going back to `None` also clears
    /// `sessionAffinityConfig` (the API server forbids it with `None`), as a user patching by
    /// hand must.
    pub fn affinity_command(service: &str, affinity: &str) -> String {
        let patch = if affinity == "None" {
            r#"{"spec":{"sessionAffinity":"None","sessionAffinityConfig":null}}"#.to_string()
        } else {
            format!(r#"{{"spec":{{"sessionAffinity":"{affinity}"}}}}"#)
        };
        format!("kubectl patch service {service} -p '{patch}'")
    }

    /// Set the Service's `externalTrafficPolicy` (NodePort and LoadBalancer Services).
    pub fn traffic_policy_command(service: &str, policy: &str) -> String {
        format!(
            r#"kubectl patch service {service} -p '{{"spec":{{"externalTrafficPolicy":"{policy}"}}}}'"#
        )
    }

    /// The lines that set the traffic to `service`: stop what runs, start at the new
    /// settings.
    pub fn traffic_commands(t: &Traffic, service: &str) -> Vec<String> {
        let mut lines = vec!["traffic stop".to_string()];
        if t.rate > 0 {
            let from = if t.external {
                "--external".to_string()
            } else {
                "--from client".to_string()
            };
            let keep = if t.keep_alive { " --keep-alive" } else { "" };
            lines.push(format!(
                "traffic start {from} --rate {}{keep} {service}",
                t.rate
            ));
        }
        lines
    }

    /// The address the external user sends to: the load balancer, else a node port.
    pub fn external_target(&self) -> Option<String> {
        let shown = self.target.service.as_ref()?;
        let svc = self.view.services.iter().find(|s| s.name == shown.name)?;
        if let Some(ip) = &svc.load_balancer_ip {
            return Some(ip.clone());
        }
        let node_port = svc
            .ports
            .first()
            .and_then(|p| p.split_once(':'))
            .and_then(|(_, rest)| rest.split('/').next())?;
        let node = self.view.nodes.first()?;
        Some(format!("{}:{node_port}", node.internal_ip))
    }

    // ---- refresh ------------------------------------------------------------------------

    /// Re-reads the snapshots after the cluster changed; `announce` adds the differences to
    /// the live region.
    fn refresh(&mut self, announce: bool) {
        // A handle of its own, so the borrow does not hold `self`.
        let cell = Rc::clone(&self.sim);
        let sim = Ref::map(cell.borrow(), World::sim);
        // Rebuilding the view is O(pods): skip it while nothing it shows changed.
        let stamp = sim.view_stamp();
        // Highlights and countdowns follow the clock: rebuild when the next one is due.
        let due = self.redraw_at.is_some_and(|t| sim.now() >= t);
        let old_view = Rc::clone(&self.view);
        if due || self.stamp.as_deref() != Some(&stamp) {
            let view = sim.view(Some(NAMESPACE));
            if announce {
                let said = announce::changes(&self.view, &view);
                if !said.is_empty() {
                    self.announcement = Rc::new(announce::sentence(&said));
                }
            }
            // Replaced only when something drawn changed, so the diagram's layers keep
            // comparing equal.
            if due || !same_apart_from_time(&self.view, &view) {
                self.redraw_at = diagram::redraw_at(&view);
                self.view = Rc::new(view);
            }
            self.stamp = Some(Rc::new(stamp));
        }
        self.now_ms = sim.now();
        let view_changed = !Rc::ptr_eq(&old_view, &self.view);
        let synced: Vec<SyncStatus> = self
            .view
            .nodes
            .iter()
            .map(|n| sim.infra.dataplane.sync_status(&n.name))
            .collect();
        let mut extras = Extras {
            proxy: proxy_states(&sim, &self.view),
            ..(*self.extras).clone()
        };
        // Programmed rules change only when some node syncs; revisions when pods change.
        if view_changed || synced != *self.synced {
            let fresh = programmed(&sim, &self.view);
            if fresh != *extras.programmed {
                extras.programmed = Rc::new(fresh);
            }
            self.synced = Rc::new(synced);
        }
        if view_changed {
            let target = target::target(&sim, NAMESPACE, DEPLOYMENT);
            if target != *self.target {
                self.target = Rc::new(target);
            }
            let fresh = revisions(&self.view, &self.extras.revisions);
            if fresh != *extras.revisions {
                extras.revisions = Rc::new(fresh);
            }
        }
        if extras != *self.extras {
            self.extras = Rc::new(extras);
        }
        // New requests become dots.
        let now = self.real_ms.unwrap_or(0.0);
        let mut dots: Vec<Dot> = self
            .dots
            .iter()
            .filter(|d| {
                now - d.born
                    < if d.outcome == "served" {
                        DOT_LIFE_MS
                    } else {
                        FAILED_DOT_LIFE_MS
                    }
            })
            .cloned()
            .collect();
        let mut last = self.last_request;
        let mut undrawn = self.undrawn;
        let mut failures: Option<Vec<(String, String)>> = None;
        for r in sim
            .infra
            .dataplane
            .log()
            .filter(|r| r.id > self.last_request)
        {
            last = last.max(r.id);
            if r.served_by().is_none() {
                let f = failures.get_or_insert_with(|| (*self.failures).clone());
                let entry = (r.outcome.name().to_string(), r.cause.clone());
                f.retain(|e| *e != entry);
                f.insert(0, entry);
                f.truncate(5);
            }
            if dots.len() >= MAX_DOTS {
                undrawn += 1;
                continue;
            }
            dots.push(Dot {
                id: r.id,
                from: match &r.client_kind() {
                    Client::Pod(k) => Sender::Pod(k.name.to_string()),
                    Client::External(_) => Sender::External,
                },
                node: r.hops.first().map(|(n, _)| n.clone()),
                pod: r.served_by().map(|k| k.name.to_string()),
                outcome: r.outcome.name(),
                cause: match &r.outcome {
                    Outcome::Served { pod, pod_ip, .. } => {
                        format!("served by {} ({pod_ip})", pod.name)
                    }
                    _ => r.cause.clone(),
                },
                born: now,
            });
        }
        self.last_request = last;
        self.undrawn = undrawn;
        if let Some(f) = failures {
            self.failures = Rc::new(f);
        }
        if dots != *self.dots {
            self.dots = Rc::new(dots);
        }
        // The chart: one sample per completed virtual second.
        let second = sim.now() / 1000;
        if self.chart.last().is_none_or(|s| s.second + 1 < second) && second > 0 {
            let c = sim.infra.dataplane.stats.window(sim.now() - 1000, 1000);
            let mut chart = (*self.chart).clone();
            chart.push(ChartSample {
                second: second - 1,
                served: c
                    .by_pod
                    .into_iter()
                    .map(|(k, v)| (k.rsplit('/').next().unwrap_or(&k).to_string(), v))
                    .collect_map(),
                failed: c.by_kind[1..].iter().sum(),
            });
            let excess = chart.len().saturating_sub(CHART_SECONDS);
            chart.drain(..excess);
            self.chart = Rc::new(chart);
        }
        // Events: re-listed only when the store changed (an aggregated Event changes in
        // place, and past the cap every new Event evicts one: the size stays the same).
        let seen = sim.api.events().changes();
        if seen != self.events_seen {
            self.events_seen = seen;
            let mut rows: Vec<EventRow> = sim
                .api
                .events()
                .in_namespace(NAMESPACE)
                .map(|e| EventRow {
                    at: e
                        .last_timestamp
                        .or(e.first_timestamp)
                        .map_or(0, |t| t.virtual_ms()),
                    type_: e.type_.to_string(),
                    reason: e.reason.to_string(),
                    object: format!(
                        "{}/{}",
                        e.involved_object.kind.to_lowercase(),
                        e.involved_object.name
                    ),
                    message: e.message.clone(),
                })
                .collect();
            kubeplay_core::sort::sort_by(&mut rows, |a, b| {
                b.at.cmp(&a.at).then_with(|| a.object.cmp(&b.object))
            });
            rows.truncate(EVENTS_MAX);
            self.events = Rc::new(rows);
        }
        drop(sim);
        // The rules panel follows its node's syncs.
        let synced = self.synced_at(&self.rules.node);
        if synced != Some(self.rules.synced_at) {
            let node = self.rules.node.clone();
            let rules = self.rules_for(&node);
            self.rules = Rc::new(rules);
        }
    }

    fn synced_at(&self, node: &str) -> Option<Millis> {
        self.sim().infra.dataplane.node(node).map(|n| n.synced_at)
    }

    /// The rules programmed on `node` (the nat table in iptables mode), lines new since the
    /// panel last showed this node marked.
    fn rules_for(&self, node: &str) -> Rules {
        let sim = self.sim();
        let proxy = sim.infra.dataplane.proxy(node);
        let text = match proxy.as_deref().map(|p| p.programmed()) {
            Some(Programmed::Iptables(_)) => sim.iptables_save(node, Some("nat")),
            Some(Programmed::Ipvs(_)) => sim.ipvsadm(node),
            Some(Programmed::Nftables(_)) => sim.nft_list(node),
            None => Ok(String::new()),
        }
        .unwrap_or_else(|e| e);
        let before: BTreeSet<&str> = if self.rules.node == node {
            self.rules
                .lines
                .iter()
                .map(|(l, _)| l.as_str())
                .collect_set()
        } else {
            BTreeSet::new()
        };
        let fresh = !before.is_empty();
        Rules {
            node: node.to_string(),
            lines: text
                .lines()
                .map(|l| (l.to_string(), fresh && !before.contains(l)))
                .collect(),
            synced_at: sim.infra.dataplane.node(node).map_or(0, |n| n.synced_at),
        }
    }

    /// The `iptables-save`-like command that prints the rules panel's text.
    pub fn rules_command(&self) -> String {
        match self.scenario.proxy_mode.mode() {
            ProxyMode::Iptables => format!("iptables-save -t nat --node {}", self.rules.node),
            ProxyMode::Ipvs => format!("ipvsadm -Ln --node {}", self.rules.node),
            ProxyMode::Nftables => format!("nft list ruleset --node {}", self.rules.node),
        }
    }

    fn run_lines(&mut self, lines: &[String]) {
        let mut history = (*self.history).clone();
        let mut scenario = (*self.scenario).clone();
        let first_new = history.len();
        {
            let mut world = self.sim.borrow_mut();
            for line in lines {
                let typed = line.trim();
                match &mut *world {
                    // A lesson's commands go through its session, so that its `output`
                    // checks see them and its scenario records them.
                    World::Lesson(session) => {
                        let mut files = session.scenario().files.clone();
                        let line = with_editor_file(typed, &mut files, &self.editor);
                        for (name, text) in &files {
                            if session.scenario().files.get(name) != Some(text) {
                                session.add_file(name, text);
                            }
                        }
                        let output = session.exec(&line);
                        history.push(Echo {
                            command: line,
                            output,
                        });
                    }
                    World::Plain(sim) => {
                        // The editor's text is applied as a file of the scenario, so a
                        // shared link carries it.
                        let line = with_editor_file(typed, &mut scenario.files, &self.editor);
                        let output =
                            console::run(sim, &line, &PageFiles::from_files(&scenario.files));
                        // Lines that do not parse changed nothing: a shared scenario holds
                        // only lines that parse.
                        if kubeplay_core::share::unrecordable(&line).is_none() && !line.is_empty() {
                            scenario.commands.push(TimedCommand {
                                at: sim.now(),
                                line: line.clone(),
                            });
                            scenario.now = sim.now();
                        }
                        history.push(Echo {
                            command: line,
                            output,
                        });
                    }
                }
            }
        }
        // Settings follow the commands that succeeded (a typed `traffic start` moves the
        // rate slider).
        self.settings_from(&history[first_new..]);
        let excess = history.len().saturating_sub(HISTORY_MAX);
        history.drain(..excess);
        self.history = Rc::new(history);
        self.scenario = Rc::new(scenario);
        self.sync_lesson_scenario();
    }

    /// Re-reads what the controls act on (after a command: a patch to the Service changes
    /// no drawn field, so [`Playground::refresh`] would not notice).
    fn retarget(&mut self) {
        let target = target::target(&self.sim(), NAMESPACE, DEPLOYMENT);
        if target != *self.target {
            self.target = Rc::new(target);
        }
    }

    fn rebuild_lesson(&self, lesson: Lesson, step: usize) -> Playground {
        let mut p = Playground::from_lesson(lesson, step);
        p.speed = self.speed;
        p.paused = self.paused;
        p.real_ms = self.real_ms;
        p.notices = Rc::clone(&self.notices);
        p
    }

    fn rebuild(&self, scenario: &Scenario) -> Playground {
        let mut p = Playground::from_scenario(scenario);
        p.speed = self.speed;
        p.paused = self.paused;
        p.real_ms = self.real_ms;
        p.notices = Rc::clone(&self.notices);
        p.editor = Rc::clone(&self.editor);
        p
    }
}

/// An image's repository: `nginx:1.25` → `nginx`, `registry:5000/app:v1` → `registry:5000/app`.
pub fn repository(image: &str) -> &str {
    match image.rsplit_once(':') {
        Some((repo, tag)) if !tag.contains('/') => repo,
        _ => image,
    }
}

/// An image's tag (`latest` when it has none).
pub fn tag(image: &str) -> &str {
    match image.rsplit_once(':') {
        Some((_, tag)) if !tag.contains('/') => tag,
        _ => "latest",
    }
}

/// The console line a lesson step's UI action runs, acting on the controls' target, or why
/// it cannot run now. The ids are the lesson format's (`docs/lessons.md`).
pub fn action_command(id: &str, target: &Target) -> Result<String, String> {
    let deployment = || target.deployment.as_ref().map_err(Clone::clone);
    match id {
        "scale" | "scale-up" => deployment().map(|d| {
            Playground::scale_command(&d.name, u32::try_from(d.replicas).unwrap_or(0) + 1)
        }),
        "scale-down" => deployment().map(|d| {
            Playground::scale_command(&d.name, u32::try_from(d.replicas - 1).unwrap_or(0))
        }),
        "kill-pod" => {
            // A pod of the Deployment if there is one, else any pod a controller replaces.
            let pod = match &target.deployment {
                Ok(d) if !d.pods.is_empty() => d.pods.first(),
                _ => target.replaceable_pods.first(),
            };
            pod.map(|p| Playground::kill_command(p))
                .ok_or_else(|| "No running pod that a controller would replace.".to_string())
        }
        "set-image" => deployment().map(|d| {
            let current = tag(&d.image);
            // The next tag that works, after the current one.
            let usable: Vec<&str> = TAGS
                .iter()
                .copied()
                .filter(|t| !t.contains("broken"))
                .collect();
            let next = usable
                .iter()
                .position(|t| *t == current)
                .map_or(usable[0], |i| usable[(i + 1) % usable.len()]);
            Playground::image_command(&d.name, &d.container, &d.image, next)
        }),
        "undo" | "rollout-undo" => {
            deployment().map(|d| Playground::rollout_command("undo", &d.name))
        }
        "relabel" => {
            let d = deployment()?;
            let service = target
                .service
                .as_ref()
                .ok_or_else(|| "No Service selects the pods.".to_string())?;
            let (key, _) = service
                .selector
                .iter()
                .next()
                .ok_or_else(|| format!("Service {} has no selector.", service.name))?;
            let pod = d
                .pods
                .first()
                .ok_or_else(|| format!("Deployment {} has no running pod.", d.name))?;
            Ok(Playground::label_command(pod, &format!("{key}=debug")))
        }
        "add-node" => Ok(Playground::add_node_command()),
        other => Err(format!(
            "Kubeplay has no control {:?}.",
            other.chars().take(40).collect::<String>()
        )),
    }
}

/// Whether two snapshots differ only in their clock.
fn same_apart_from_time(a: &ClusterView, b: &ClusterView) -> bool {
    a.nodes == b.nodes && a.unscheduled == b.unscheduled && a.services == b.services
}

/// Each node's kube-proxy state for its header.
fn proxy_states(sim: &Sim, view: &ClusterView) -> BTreeMap<String, ProxyState> {
    let now = sim.now();
    let dp = &sim.infra.dataplane;
    view.nodes
        .iter()
        .map(|n| {
            let state = match dp.sync_status(&n.name) {
                SyncStatus::InSync { .. } => ProxyState {
                    in_sync: true,
                    stale_ms: 0,
                    unprogrammed: false,
                },
                SyncStatus::Stale { since, .. } => ProxyState {
                    in_sync: false,
                    // Tenths of a second are what the header shows; finer would re-render
                    // the node every frame for nothing.
                    stale_ms: now.saturating_sub(since) / 100 * 100,
                    unprogrammed: false,
                },
                SyncStatus::NotProgrammed => ProxyState {
                    in_sync: false,
                    stale_ms: 0,
                    unprogrammed: true,
                },
            };
            (n.name.clone(), state)
        })
        .collect_map()
}

/// Per `service/ip`: the nodes whose programmed rules route to that endpoint.
fn programmed(sim: &Sim, view: &ClusterView) -> BTreeMap<String, BTreeSet<String>> {
    let mut programmed: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (node, _) in sim.infra.dataplane.nodes() {
        let Some(proxy) = sim.infra.dataplane.proxy(node) else {
            continue;
        };
        for svc in &view.services {
            let key = format!("{}/{}", svc.namespace, svc.name);
            let Some(ports) = proxy.services().get(&key) else {
                continue;
            };
            for ep in ports.iter().flat_map(|p| &p.endpoints) {
                programmed
                    .entry(format!("{}/{}", svc.name, ep.ip))
                    .or_default()
                    .insert(node.clone());
            }
        }
    }
    programmed
}

/// Colour indexes of ReplicaSet revisions (`pod-template-hash`), in order of first sight.
fn revisions(view: &ClusterView, seen: &BTreeMap<String, usize>) -> BTreeMap<String, usize> {
    let mut revisions = seen.clone();
    let mut pods: Vec<_> = view
        .nodes
        .iter()
        .flat_map(|n| &n.pods)
        .chain(&view.unscheduled)
        .collect();
    kubeplay_core::sort::sort_by_key(&mut pods, |p| p.created_ms);
    for p in pods {
        if let Some(h) = &p.template_hash {
            let next = revisions.len();
            revisions.entry(h.clone()).or_insert(next);
        }
    }
    revisions
}

/// The client a request came from.
trait ClientKind {
    fn client_kind(&self) -> Client;
}

impl ClientKind for kubeplay_core::dataplane::RequestRecord {
    fn client_kind(&self) -> Client {
        // `pod default/client` or `external 203.0.113.10`.
        match self.client.strip_prefix("pod ") {
            Some(key) => {
                let (ns, name) = key.split_once('/').unwrap_or(("default", key));
                Client::Pod(kubeplay_core::apiserver::ObjectKey::new(ns, name))
            }
            None => Client::External(self.src),
        }
    }
}

impl Default for Playground {
    fn default() -> Self {
        Playground::new()
    }
}

impl Reducible for Playground {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut p = (*self).clone();
        match action {
            Action::Frame(now) => {
                let elapsed = p
                    .real_ms
                    .map_or(0.0, |prev| (now - prev).clamp(0.0, MAX_FRAME_MS));
                p.real_ms = Some(now);
                if !p.paused {
                    let virtual_ms = elapsed * p.speed + p.carry;
                    let whole = virtual_ms.floor();
                    p.carry = virtual_ms - whole;
                    if whole >= 1.0 {
                        p.sim.borrow_mut().advance(whole as Millis);
                    }
                }
                p.refresh(true);
                p.frames_since_check += 1;
                if p.frames_since_check >= CHECK_EVERY_FRAMES {
                    p.check_lesson();
                }
            }
            Action::Step => {
                p.sim.borrow_mut().advance(STEP_MS);
                p.refresh(true);
                p.check_lesson();
            }
            Action::OpenLesson(name) => {
                return match builtin_lesson(&name) {
                    Ok(lesson) => Rc::new(p.rebuild_lesson(lesson, 0)),
                    Err(e) => {
                        let mut notices = (*p.notices).clone();
                        notices.push(e);
                        p.notices = Rc::new(notices);
                        Rc::new(p)
                    }
                };
            }
            Action::CloseLesson if p.lesson.is_some() => {
                let s = fresh_scenario(1, ProxyMode::Iptables);
                let mut q = p.rebuild(&s);
                q.editor = Rc::default();
                q.announcement = Rc::new("The lesson was closed: free play".to_string());
                return Rc::new(q);
            }
            Action::CloseLesson => {}
            Action::LessonCommand(i) => {
                p.run_suggested(i);
                p.refresh(true);
                p.retarget();
                p.check_lesson();
            }
            Action::LessonAction(i) => {
                let line = p
                    .lesson
                    .as_ref()
                    .and_then(|l| l.actions.get(i))
                    .and_then(|(_, line)| line.clone().ok());
                if let Some(line) = line {
                    p.run_lines(&[line]);
                    p.refresh(true);
                    p.retarget();
                }
                p.check_lesson();
            }
            Action::LessonNext => {
                if let World::Lesson(session) = &mut *p.sim.borrow_mut() {
                    session.next_step();
                }
                p.sync_lesson_scenario();
                p.check_lesson();
            }
            Action::LessonPrevious => {
                // The session only moves forward (each step's baseline is the cluster as the
                // step began), so going back rebuilds the lesson up to the earlier step.
                let target = p.lesson.as_ref().map_or(0, |l| l.step.saturating_sub(1));
                let lesson = match &*p.sim.borrow() {
                    World::Lesson(session) => Some(session.lesson.clone()),
                    World::Plain(_) => None,
                };
                if let Some(lesson) = lesson {
                    return Rc::new(p.rebuild_lesson(lesson, target));
                }
            }
            Action::SetPaused(paused) => p.paused = paused,
            Action::SetSpeed(speed) => {
                if speed.is_finite() && speed > 0.0 {
                    p.speed = speed.clamp(0.25, 20.0);
                }
            }
            Action::Run(lines) => {
                p.run_lines(&lines);
                p.refresh(true);
                p.retarget();
                p.check_lesson();
            }
            Action::Select(s) => {
                if let Selection::Node(n) = &s {
                    p.rules = Rc::new(p.rules_for(n));
                }
                p.selected = s;
            }
            Action::ShowRules(node) => p.rules = Rc::new(p.rules_for(&node)),
            Action::SetEditor(text) => p.editor = Rc::new(text),
            Action::ExportYaml => {
                // The Deployment and Service the controls act on, or everything there is.
                let line = match (&p.target.deployment, &p.target.service) {
                    (Ok(d), Some(s)) if d.name == s.name => {
                        format!("kubectl get deployment,service {} -o yaml", d.name)
                    }
                    (Ok(d), Some(s)) => format!(
                        "kubectl get deployment/{} service/{} -o yaml",
                        d.name, s.name
                    ),
                    _ => "kubectl get deployments,services -o yaml".to_string(),
                };
                p.run_lines(std::slice::from_ref(&line));
                if let Some(e) = p.history.last().filter(|e| e.output.ok) {
                    p.editor = Rc::new(e.output.stdout.clone());
                }
                p.refresh(true);
            }
            Action::SetProxy(_) | Action::Reset if p.lesson.is_some() => {
                // A lesson fixes its cluster (proxy mode included): start it over instead.
                let lesson = match &*p.sim.borrow() {
                    World::Lesson(session) => Some(session.lesson.clone()),
                    World::Plain(_) => None,
                };
                if let Some(lesson) = lesson {
                    let mut q = p.rebuild_lesson(lesson, 0);
                    q.announcement = Rc::new("The lesson was started over".to_string());
                    return Rc::new(q);
                }
            }
            Action::SetProxy(mode) => {
                let mut s = p.shareable();
                s.proxy_mode = mode_name(mode);
                let mut q = p.rebuild(&s);
                let mut history = (*q.history).clone();
                history.push(Echo {
                    command: format!(
                        "# kube-proxy restarted on every node with --proxy-mode={} (the cluster was replayed from its history)",
                        proxy_word(mode)
                    ),
                    output: CommandOutput::ok(""),
                });
                q.history = Rc::new(history);
                q.announcement =
                    Rc::new(format!("kube-proxy now runs in {} mode", proxy_word(mode)));
                return Rc::new(q);
            }
            Action::Reset => {
                let s = fresh_scenario(p.scenario.seed, p.scenario.proxy_mode.mode());
                let mut q = p.rebuild(&s);
                q.announcement = Rc::new("The cluster was reset".to_string());
                return Rc::new(q);
            }
            Action::Load(s) => {
                return Rc::new(match Playground::open(&s) {
                    Ok(mut q) => {
                        q.speed = p.speed;
                        q.paused = p.paused;
                        q.real_ms = p.real_ms;
                        q.notices = Rc::clone(&p.notices);
                        q
                    }
                    Err(e) => {
                        let mut notices = (*p.notices).clone();
                        notices.push(format!("The scenario could not be opened ({e})."));
                        p.notices = Rc::new(notices);
                        p
                    }
                })
            }
            Action::Notice(n) => {
                let mut notices = (*p.notices).clone();
                notices.push(n);
                p.notices = Rc::new(notices);
            }
            Action::ClearNotices => p.notices = Rc::default(),
        }
        Rc::new(p)
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    fn pods(p: &Playground) -> Vec<&kubeplay_core::view::PodView> {
        p.view
            .nodes
            .iter()
            .flat_map(|n| &n.pods)
            .chain(&p.view.unscheduled)
            .filter(|pod| pod.name != "client")
            .collect()
    }

    fn ready(p: &Playground) -> usize {
        pods(p).iter().filter(|pod| pod.ready).count()
    }

    fn run(p: Rc<Playground>, line: String) -> Rc<Playground> {
        p.reduce(Action::Run(vec![line]))
    }

    fn frames(mut p: Rc<Playground>, real_ms: u32) -> Rc<Playground> {
        let start = p.real_ms.unwrap_or(0.0);
        p = p.reduce(Action::Frame(start));
        for i in 1..=(real_ms / 50) {
            p = p.reduce(Action::Frame(start + f64::from(i) * 50.0));
        }
        p
    }

    /// What the diagram draws from a view: the clock only through whole seconds of grace
    /// and whether an IP is highlighted as new.
    fn drawn(view: &ClusterView) -> ClusterView {
        let mut v = view.clone();
        let now = v.time_ms;
        v.time_ms = 0;
        for p in v.nodes.iter_mut().flat_map(|n| &mut n.pods) {
            p.grace_remaining_ms = p.grace_remaining_ms.map(|ms| ms.div_ceil(1000));
            p.created_ms = u64::from(p.ip.is_some() && now - p.created_ms < diagram::NEW_IP_MS);
        }
        v
    }

    /// The diagram's view is kept while nothing changed (so its layers skip rendering), yet
    /// at every frame it shows what a freshly built view shows.
    #[test]
    fn frames_keep_the_view_while_the_cluster_is_unchanged_and_it_is_never_out_of_date() {
        let mut p = frames(Rc::new(Playground::new()), 20_000);
        p = run(p, Playground::scale_command("web", 5));
        let (mut kept, mut total) = (0, 0);
        for i in 0..400 {
            let before = Rc::clone(&p.view);
            let extras = Rc::clone(&p.extras);
            let now = p.real_ms.unwrap_or(0.0) + 50.0;
            p = p.reduce(Action::Frame(now));
            let fresh = p.with_sim(|s| s.view(Some(NAMESPACE)));
            assert_eq!(
                drawn(&p.view),
                drawn(&fresh),
                "frame {i}: the drawn view is out of date"
            );
            total += 1;
            if Rc::ptr_eq(&before, &p.view) && Rc::ptr_eq(&extras, &p.extras) {
                kept += 1;
            }
        }
        // Scaling, new IPs and kube-proxy syncs change it for a while, then it settles.
        assert!(
            kept * 2 > total,
            "the view was rebuilt in {} of {total} frames",
            total - kept
        );
    }

    #[test]
    fn starts_with_the_deployment_its_service_and_a_client_sending_requests() {
        let p = Rc::new(Playground::new());
        assert_eq!(p.view.nodes.len(), 3);
        let commands: Vec<&str> = p.history.iter().map(|e| e.command.as_str()).collect();
        assert_eq!(commands, starting_commands());
        for e in p.history.iter() {
            assert!(e.output.ok, "{}: {:?}", e.command, e.output);
        }
        assert_eq!(pods(&p).len(), INITIAL_REPLICAS as usize);
        let p = frames(p, 10_000);
        assert_eq!(ready(&p), 3);
        let svc = p
            .view
            .services
            .iter()
            .find(|s| s.name == "web")
            .expect("web");
        assert_eq!(svc.endpoints.iter().filter(|e| e.ready).count(), 3);
        assert!(
            p.chart.iter().any(|s| s.served.values().sum::<u64>() > 0),
            "{:?}",
            p.chart
        );
    }

    #[test]
    fn each_control_runs_its_console_line() {
        let cases: Vec<(String, &str)> = vec![
            (
                Playground::scale_command("web", 5),
                "deployment.apps/web scaled\n",
            ),
            (
                Playground::image_command("web", "nginx", "nginx:1.25", "1.26"),
                "deployment.apps/web image updated\n",
            ),
            (
                Playground::rollout_command("pause", "web"),
                "deployment.apps/web paused\n",
            ),
            (
                Playground::rollout_command("resume", "web"),
                "deployment.apps/web resumed\n",
            ),
            (
                Playground::rollout_command("undo", "web"),
                "deployment.apps/web rolled back\n",
            ),
            (
                Playground::node_command("cordon", "node-2"),
                "node/node-2 cordoned\n",
            ),
            (
                Playground::node_command("uncordon", "node-2"),
                "node/node-2 uncordoned\n",
            ),
            (
                Playground::node_command("fail", "node-3"),
                "node/node-3 failed (powered off)\n",
            ),
            (
                Playground::node_command("recover", "node-3"),
                "node/node-3 recovered\n",
            ),
            (Playground::add_node_command(), "node/node-4 added\n"),
            (
                Playground::service_type_command("web", "NodePort"),
                "service/web patched\n",
            ),
            (
                Playground::traffic_policy_command("web", "Local"),
                "service/web patched\n",
            ),
            (
                Playground::traffic_policy_command("web", "Cluster"),
                "service/web patched\n",
            ),
            (
                Playground::service_type_command("web", "ClusterIP"),
                "service/web patched\n",
            ),
            (
                Playground::affinity_command("web", "ClientIP"),
                "service/web patched\n",
            ),
            (
                Playground::affinity_command("web", "None"),
                "service/web patched\n",
            ),
        ];
        let mut p = frames(Rc::new(Playground::new()), 5_000);
        for (line, stdout) in cases {
            p = run(p, line.clone());
            let e = p.history.last().expect("echo");
            assert_eq!(e.command, line);
            assert_eq!(e.output.stdout, stdout, "{line}: {:?}", e.output);
            assert_eq!(p.scenario.commands.last().map(|c| &c.line), Some(&line));
        }
        // Scaled to 5; the rollout to 1.26 was undone.
        let d = p.target.deployment.clone().expect("web");
        assert_eq!((d.replicas, d.image.as_str()), (5, "nginx:1.25"));
    }

    #[test]
    fn scale_draws_the_new_pods() {
        let p = run(
            Rc::new(Playground::new()),
            Playground::scale_command("web", 5),
        );
        assert_eq!(pods(&p).len(), 5);
        let p = frames(p, 10_000);
        assert_eq!(ready(&p), 5);
        assert!(
            p.announcement.contains("Service web now has"),
            "{}",
            p.announcement
        );
    }

    #[test]
    fn a_killed_pod_terminates_and_is_replaced() {
        let p = frames(Rc::new(Playground::new()), 8_000);
        let victim = pods(&p)[0].name.clone();
        let p = run(p, Playground::kill_command(&victim));
        assert!(p.history.last().is_some_and(|e| e.output.ok));
        let gone = |p: &Playground| !pods(p).iter().any(|q| q.name == victim);
        assert!(pods(&p).iter().any(|q| q.name == victim && q.terminating));
        let p = frames(p, 40_000);
        assert!(gone(&p));
        assert_eq!(ready(&p), 3);
    }

    #[test]
    fn relabelled_pod_leaves_the_service() {
        let p = frames(Rc::new(Playground::new()), 8_000);
        let name = pods(&p)[0].name.clone();
        let p = run(p, Playground::label_command(&name, "app=debug"));
        assert!(
            p.history.last().is_some_and(|e| e.output.ok),
            "{:?}",
            p.history.last()
        );
        let p = frames(p, 2_000);
        let svc = p
            .view
            .services
            .iter()
            .find(|s| s.name == "web")
            .expect("web");
        assert!(!svc.endpoints.iter().any(|e| e.pod == name));
        // The ReplicaSet replaced it.
        assert_eq!(
            pods(&p)
                .iter()
                .filter(|q| q.labels.get("app").map(String::as_str) == Some("web"))
                .count(),
            3
        );
    }

    #[test]
    fn a_hidden_tab_does_not_pile_up_time() {
        let p = Rc::new(Playground::new()).reduce(Action::Frame(1_000.0));
        let t = p.now_ms;
        let p = p.reduce(Action::Frame(601_000.0));
        assert_eq!(p.now_ms - t, MAX_FRAME_MS as u64);
        let p = p
            .reduce(Action::SetSpeed(20.0))
            .reduce(Action::Frame(601_050.0));
        assert_eq!(p.now_ms - t, 100 + 1_000);
        let p = p
            .reduce(Action::SetPaused(true))
            .reduce(Action::Frame(602_000.0));
        assert_eq!(p.now_ms - t, 1_100);
        let p = p.reduce(Action::Step);
        assert_eq!(p.now_ms - t, 1_100 + STEP_MS);
    }

    #[test]
    fn requests_become_dots() {
        let p = frames(Rc::new(Playground::new()), 6_000);
        assert!(!p.dots.is_empty() || p.undrawn > 0);
        assert!(p
            .dots
            .iter()
            .all(|d| d.from == Sender::Pod("client".into())));
    }

    /// What a shared link must reproduce: every pod (name, node, IP, state) and every
    /// endpoint, at the same virtual time.
    fn same_cluster(a: &Playground, b: &Playground) {
        assert_eq!(a.now_ms, b.now_ms);
        let (a, b) = (
            a.with_sim(|s| s.view(Some(NAMESPACE))),
            b.with_sim(|s| s.view(Some(NAMESPACE))),
        );
        assert_eq!(a.nodes, b.nodes);
        assert_eq!(a.unscheduled, b.unscheduled);
        assert_eq!(a.services, b.services);
    }

    fn through_a_link(p: &Playground) -> Playground {
        let text = kubeplay_core::share::encode(&p.shareable());
        let decoded = kubeplay_core::share::decode(&text).expect("decodes");
        Playground::open(&decoded).expect("opens")
    }

    #[test]
    fn a_shared_playground_reopens_to_the_same_cluster() {
        let p = frames(Rc::new(Playground::new()), 8_000);
        let victim = pods(&p)[0].name.clone();
        let p = run(p, Playground::kill_command(&victim));
        let p = frames(p, 1_500);
        let p = run(p, Playground::scale_command("web", 5));
        let p = p.reduce(Action::SetEditor(
            "apiVersion: v1\nkind: Pod\nmetadata: {name: extra, labels: {app: web}}\nspec:\n  containers: [{name: c, image: nginx}]\n".into(),
        ));
        let p = run(p, "kubectl apply -f editor.yaml".to_string());
        assert_eq!(
            p.history.last().map(|e| e.command.as_str()),
            Some("kubectl apply -f editor-1.yaml"),
            "the editor's text is applied as a file of the scenario"
        );
        assert!(p.history.last().is_some_and(|e| e.output.ok));
        let p = frames(p, 3_333);
        let q = through_a_link(&p);
        same_cluster(&p, &q);
        assert!(q.lesson.is_none());
        assert_eq!(q.editor, p.editor);
        // Typos are not part of the scenario.
        let p = run(p, "kubectl frobnicate".to_string());
        assert_eq!(p.shareable().commands.len(), q.shareable().commands.len());
    }

    #[test]
    fn a_shared_lesson_reopens_at_its_step_with_the_same_cluster() {
        let lesson = builtin_lesson("service-stable-ip").expect("built in");
        let mut p = Rc::new(Playground::from_lesson(lesson.clone(), 0));
        for i in 0..lesson.steps[0].commands.len() {
            p = p.reduce(Action::LessonCommand(i));
        }
        p = frames(p.reduce(Action::LessonNext), 2_000);
        p = p.reduce(Action::LessonCommand(0));
        let q = through_a_link(&p);
        same_cluster(&p, &q);
        let (a, b) = (
            p.lesson.clone().expect("lesson"),
            q.lesson.clone().expect("lesson"),
        );
        assert_eq!((b.name.as_str(), b.step), (a.name.as_str(), 1));
        assert_eq!(b.checks, a.checks);
    }

    fn shop() -> Rc<Playground> {
        let mut s = fresh_scenario(3, ProxyMode::Iptables);
        s.commands = [
            "kubectl create deployment shop --image=httpd:2.4 --replicas=2",
            "kubectl expose deployment shop --port=80 --type=NodePort",
        ]
        .into_iter()
        .map(|line| TimedCommand {
            at: 0,
            line: line.to_string(),
        })
        .collect();
        frames(Rc::new(Playground::from_scenario(&s)), 5_000)
    }

    #[test]
    fn controls_act_on_the_deployment_behind_the_shown_service() {
        let p = shop();
        let d = p.target.deployment.clone().expect("shop");
        assert_eq!(
            (d.name.as_str(), d.container.as_str(), d.image.as_str()),
            ("shop", "httpd", "httpd:2.4")
        );
        assert_eq!(
            p.target.service.as_ref().map(|s| s.name.as_str()),
            Some("shop")
        );
        let p = run(p, Playground::scale_command(&d.name, 4));
        let p = run(
            p,
            Playground::image_command(&d.name, &d.container, &d.image, "2.5"),
        );
        let p = run(p, Playground::affinity_command("shop", "ClientIP"));
        let p = run(p, Playground::traffic_policy_command("shop", "Local"));
        for e in p.history.iter().rev().take(4) {
            assert!(e.output.ok, "{}: {:?}", e.command, e.output);
        }
        let d = p.target.deployment.clone().expect("shop");
        assert_eq!((d.replicas, d.image.as_str()), (4, "httpd:2.5"));
        let s = p.target.service.clone().expect("shop");
        assert_eq!(s.session_affinity, "ClientIP");
        assert_eq!(s.external_traffic_policy.as_deref(), Some("Local"));
        // Back to None clears sessionAffinityConfig, which the API server requires.
        let p = run(p, Playground::affinity_command("shop", "None"));
        assert!(
            p.history.last().is_some_and(|e| e.output.ok),
            "{:?}",
            p.history.last()
        );
        assert_eq!(
            p.target
                .service
                .as_ref()
                .map(|s| s.session_affinity.as_str()),
            Some("None")
        );
    }

    #[test]
    fn step_actions_become_the_controls_console_lines() {
        let p = shop();
        let t = &p.target;
        let first = t
            .deployment
            .as_ref()
            .map(|d| d.pods[0].clone())
            .expect("pods");
        let cases: Vec<(&str, Result<String, &str>)> = vec![
            (
                "scale",
                Ok("kubectl scale deployment shop --replicas=3".into()),
            ),
            (
                "scale-down",
                Ok("kubectl scale deployment shop --replicas=1".into()),
            ),
            (
                "kill-pod",
                Ok(format!("kubectl delete pod {first} --wait=false")),
            ),
            (
                "set-image",
                Ok("kubectl set image deployment/shop httpd=httpd:1.25".into()),
            ),
            ("undo", Ok("kubectl rollout undo deployment/shop".into())),
            (
                "relabel",
                Ok(format!("kubectl label pod {first} app=debug --overwrite")),
            ),
            ("add-node", Ok("node add".into())),
            ("juggle", Err("Kubeplay has no control \"juggle\".")),
        ];
        for (id, want) in cases {
            assert_eq!(action_command(id, t), want.map_err(String::from), "{id}");
        }
        // The starting cluster's image is in the tag list: the next tag is rolled out.
        let web = Playground::new();
        assert_eq!(
            action_command("set-image", &web.target),
            Ok("kubectl set image deployment/web nginx=nginx:1.26".into())
        );
        // Nothing to act on: the reason, for the disabled button.
        let mut empty = fresh_scenario(1, ProxyMode::Iptables);
        empty.commands.clear();
        let bare = Playground::from_scenario(&empty);
        assert_eq!(
            action_command("scale", &bare.target),
            Err("There is no Deployment to act on.".into())
        );
        assert_eq!(
            action_command("kill-pod", &bare.target),
            Err("No running pod that a controller would replace.".into())
        );
    }

    #[test]
    fn a_lesson_step_offers_its_actions_and_runs_them_in_the_console() {
        let lesson = builtin_lesson("service-stable-ip").expect("built in");
        let at = lesson
            .steps
            .iter()
            .position(|s| s.actions == ["scale"])
            .expect("a scale step");
        let p = frames(Rc::new(Playground::from_lesson(lesson, at)), 1_000);
        let state = p.lesson.clone().expect("lesson");
        let (id, line) = state.actions[0].clone();
        let line = line.expect("runnable");
        assert_eq!(id, "scale");
        let before = p
            .target
            .deployment
            .as_ref()
            .map(|d| d.replicas)
            .expect("web");
        let p = p.reduce(Action::LessonAction(0));
        assert_eq!(p.history.last().map(|e| &e.command), Some(&line));
        assert!(p.history.last().is_some_and(|e| e.output.ok));
        assert_eq!(
            p.target.deployment.as_ref().map(|d| d.replicas),
            Ok(before + 1)
        );
    }

    #[test]
    fn proxy_mode_replays_the_cluster() {
        let p = frames(Rc::new(Playground::new()), 3_000);
        let p = run(p, Playground::scale_command("web", 4));
        let p = p.reduce(Action::SetProxy(ProxyMode::Ipvs));
        assert_eq!(p.scenario.proxy_mode.mode(), ProxyMode::Ipvs);
        assert_eq!(pods(&p).len(), 4);
        assert_eq!(p.target.deployment.as_ref().map(|d| d.replicas), Ok(4));
        assert!(p.rules_command().starts_with("ipvsadm"));
    }

    #[test]
    fn a_lesson_step_ticks_its_checks_as_its_suggested_commands_run() {
        for name in builtin::names() {
            let lesson = builtin_lesson(name).expect("built-in lessons load");
            let mut p = Rc::new(Playground::from_lesson(lesson.clone(), 0));
            let state = p.lesson.clone().expect("lesson state");
            assert_eq!(
                (state.title.as_str(), state.step),
                (lesson.title.as_str(), 0)
            );
            assert_eq!(state.checks.len(), lesson.steps[0].checks.len());
            let before = p.history.len();
            for i in 0..lesson.steps[0].commands.len() {
                p = p.reduce(Action::LessonCommand(i));
            }
            // Echoed in the console, and the step's checks pass as in the native runner.
            assert_eq!(p.history.len(), before + lesson.steps[0].commands.len());
            let state = p.lesson.clone().expect("lesson state");
            assert!(
                state.checks.iter().all(|c| c.passed),
                "{name}: {:?}",
                state.checks
            );
            if lesson.steps.len() > 1 {
                p = p.reduce(Action::LessonNext);
                assert_eq!(p.lesson.as_ref().map(|l| l.step), Some(1));
                p = p.reduce(Action::LessonPrevious);
                assert_eq!(p.lesson.as_ref().map(|l| l.step), Some(0));
            }
        }
    }

    #[test]
    fn an_unknown_lesson_is_a_notice_not_a_crash() {
        let p = Rc::new(Playground::new()).reduce(Action::OpenLesson("nope".into()));
        assert!(p.lesson.is_none());
        assert!(p
            .notices
            .iter()
            .any(|n| n.contains("There is no lesson \"nope\"")));
    }
}

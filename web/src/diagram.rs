//! The node diagram, drawn as SVG from a [`ClusterView`]: the Service's virtual IP apart from
//! every node (it is on no interface) with lines to its endpoints, each node with its pods and
//! its kube-proxy's state, the clients on the side, and requests as dots travelling
//! client → VIP → node → pod.
//!
//! Rendering cost: pods are one flat keyed list (so a pod that gets scheduled slides from the
//! pending strip into its node instead of being re-created), every pod, node and line is its
//! own component with comparable props, and the cluster's layers are one component whose
//! props are `Rc`s compared by pointer, so a frame in which only requests moved re-renders
//! the dots alone. Motion is CSS (transitions on `transform`, keyframes for dots),
//! so the browser animates without Rust running per frame.
//!
//! Leaving: a pod (keyed by UID) or endpoint line that is gone from the state stays drawn for
//! [`LEAVE_MS`] in a `leaving` state that CSS fades out (hidden at once under
//! `prefers-reduced-motion`), so nothing vanishes in a jump. Leaving elements are not part of
//! the state: they have their own test ids and are hidden from assistive technology.

use crate::playground::{Dot, Extras, ProxyState, Selection, Sender};
use kubeplay_core::sort::CollectOrdered;
use kubeplay_core::view::{ClusterView, EndpointView, PodView};
use std::collections::BTreeMap;
use std::rc::Rc;
use yew::prelude::*;

const MARGIN: i32 = 16;
/// Left column for the clients.
const SIDE_W: i32 = 150;
const VIP_W: i32 = 250;
const VIP_H: i32 = 62;
const NODES_TOP: i32 = 130;
const NODE_W: i32 = 300;
const NODE_GAP: i32 = 18;
const NODE_HEADER: i32 = 62;
const CARD_W: i32 = 136;
const CARD_H: i32 = 54;
const CARD_GAP: i32 = 8;
const SMALL: i32 = 22;
const SMALL_GAP: i32 = 4;
/// Above this many pods on one node, pods are drawn as small squares (details on hover).
const COMPACT_OVER: usize = 12;
/// Above this many endpoints, the per-node "programmed" markers are left out.
const MARKERS_UP_TO: usize = 40;
/// A pod's IP counts as new (highlighted) for this long after the pod was created.
pub const NEW_IP_MS: u64 = 8_000;

/// The first virtual instant after `view` was built at which the diagram drawn from it
/// changes with the clock alone: a new IP's highlight ends, or a terminating pod's grace
/// countdown (whole seconds) ticks. Until then the view need not be rebuilt.
pub fn redraw_at(view: &ClusterView) -> Option<u64> {
    let now = view.time_ms;
    view.nodes
        .iter()
        .flat_map(|n| &n.pods)
        .chain(&view.unscheduled)
        .filter_map(|p| {
            let highlight_ends = (p.ip.is_some() && p.created_ms + NEW_IP_MS > now)
                .then_some(p.created_ms + NEW_IP_MS);
            let tick = p
                .grace_remaining_ms
                .filter(|ms| *ms > 0)
                .map(|ms| now + (ms - 1) % 1000 + 1);
            highlight_ends.into_iter().chain(tick).min()
        })
        .min()
}

/// How long (real ms) a pod or endpoint line that left stays drawn while it fades out.
pub const LEAVE_MS: f64 = 600.0;

/// What was drawn, by key, and what left recently: each thing that disappears from the
/// drawn set stays, leaving, for [`LEAVE_MS`] of real time (or until it comes back).
#[derive(Clone, Debug, PartialEq)]
pub struct Leaving<T> {
    last: BTreeMap<String, T>,
    gone: BTreeMap<String, (T, f64)>,
}

impl<T> Default for Leaving<T> {
    fn default() -> Self {
        Leaving {
            last: BTreeMap::new(),
            gone: BTreeMap::new(),
        }
    }
}

impl<T: Clone> Leaving<T> {
    /// Records what is drawn now (`None`: the same as last time) at real time `now`.
    pub fn update(&mut self, current: Option<BTreeMap<String, T>>, now: f64) {
        if let Some(current) = current {
            for (k, v) in std::mem::take(&mut self.last) {
                if !current.contains_key(&k) {
                    self.gone.entry(k).or_insert((v, now));
                }
            }
            self.last = current;
        }
        let last = &self.last;
        self.gone
            .retain(|k, (_, since)| !last.contains_key(k) && now - *since < LEAVE_MS);
    }

    /// What is leaving now, by key.
    pub fn leaving(&self) -> impl Iterator<Item = (&String, &T)> {
        self.gone.iter().map(|(k, (v, _))| (k, v))
    }
}

/// A pod as last drawn (for its leaving copy).
#[derive(Clone, Debug, PartialEq)]
struct DrawnPod {
    card: PodCard,
    at: (i32, i32),
    revision: Option<usize>,
}

/// An endpoint line as last drawn: the endpoint, and where the line ran from and to.
type DrawnEndpoint = (EndpointView, (i32, i32), (i32, i32));

/// What the diagram remembers between renders.
#[derive(Default)]
struct Memory {
    /// The snapshot last remembered (compared apart from its clock).
    view: Option<Rc<ClusterView>>,
    pods: Leaving<DrawnPod>,
    endpoints: Leaving<DrawnEndpoint>,
}

/// Where everything goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    /// Drawing size.
    pub width: i32,
    /// Drawing height.
    pub height: i32,
    /// Node boxes: name → (x, y, w, h).
    pub nodes: BTreeMap<String, (i32, i32, i32, i32)>,
    /// Pods: name → (x, y) of the card's top-left.
    pub pods: BTreeMap<String, (i32, i32)>,
    /// Compact pods (small squares).
    pub compact: bool,
    /// The VIP box's top-left.
    pub vip: (i32, i32),
    /// Where the external user stands.
    pub user: (i32, i32),
    /// Top of the pending strip, if drawn.
    pub pending_y: Option<i32>,
}

impl Layout {
    /// Width and height of a pod card.
    pub fn card(&self) -> (i32, i32) {
        if self.compact {
            (SMALL, SMALL)
        } else {
            (CARD_W, CARD_H)
        }
    }

    /// The centre of a pod's card.
    pub fn pod_centre(&self, pod: &str) -> Option<(i32, i32)> {
        let (w, h) = self.card();
        self.pods.get(pod).map(|(x, y)| (x + w / 2, y + h / 2))
    }

    /// The VIP's bottom centre, where endpoint lines start.
    pub fn vip_anchor(&self) -> (i32, i32) {
        (self.vip.0 + VIP_W / 2, self.vip.1 + VIP_H)
    }

    /// The centre of a node's header.
    pub fn node_anchor(&self, node: &str) -> Option<(i32, i32)> {
        self.nodes
            .get(node)
            .map(|(x, y, w, _)| (x + w / 2, y + NODE_HEADER / 2))
    }
}

/// Places nodes in a grid (up to `columns` per row) and pods inside them.
pub fn layout(view: &ClusterView, columns: usize) -> Layout {
    let columns = columns.clamp(1, 6) as i32;
    let busiest = view.nodes.iter().map(|n| n.pods.len()).max().unwrap_or(0);
    let compact = busiest > COMPACT_OVER;
    let (per_row, cw, ch, gap) = if compact {
        (
            (NODE_W - 2 * CARD_GAP + SMALL_GAP) / (SMALL + SMALL_GAP),
            SMALL,
            SMALL,
            SMALL_GAP,
        )
    } else {
        (2, CARD_W, CARD_H, CARD_GAP)
    };
    let rows_in = |n: usize| (n as i32 + per_row - 1) / per_row;
    let left = MARGIN + SIDE_W;
    let mut nodes = BTreeMap::new();
    let mut pods = BTreeMap::new();
    let mut y = NODES_TOP;
    for row in view.nodes.chunks(columns as usize) {
        let rows = row
            .iter()
            .map(|n| rows_in(n.pods.len()))
            .max()
            .unwrap_or(0)
            .max(2);
        let h = NODE_HEADER + rows * (ch + gap) + CARD_GAP;
        for (i, node) in row.iter().enumerate() {
            let x = left + i as i32 * (NODE_W + NODE_GAP);
            nodes.insert(node.name.clone(), (x, y, NODE_W, h));
            for (k, pod) in node.pods.iter().enumerate() {
                let k = k as i32;
                pods.insert(
                    pod.name.clone(),
                    (
                        x + CARD_GAP + (k % per_row) * (cw + gap),
                        y + NODE_HEADER + (k / per_row) * (ch + gap),
                    ),
                );
            }
        }
        y += h + NODE_GAP;
    }
    let used_columns = (view.nodes.len() as i32).clamp(1, columns);
    let width = left + used_columns * (NODE_W + NODE_GAP) - NODE_GAP + MARGIN;
    let pending_y = (!view.unscheduled.is_empty()).then_some(y);
    if !view.unscheduled.is_empty() {
        let per = ((width - left) / (cw + gap)).max(1);
        for (k, pod) in view.unscheduled.iter().enumerate() {
            let k = k as i32;
            pods.insert(
                pod.name.clone(),
                (
                    left + (k % per) * (cw + gap),
                    y + 26 + (k / per) * (ch + gap),
                ),
            );
        }
        y += 26 + rows_in_with(view.unscheduled.len(), per) * (ch + gap) + MARGIN;
    }
    let vip_x = left + (width - left - MARGIN) / 2 - VIP_W / 2;
    Layout {
        width,
        height: y.max(NODES_TOP + 200),
        nodes,
        pods,
        compact,
        vip: (vip_x, MARGIN),
        user: (MARGIN + 40, MARGIN + 24),
        pending_y,
    }
}

fn rows_in_with(n: usize, per: i32) -> i32 {
    (n as i32 + per - 1) / per
}

/// Props of [`ClusterDiagram`].
#[derive(Properties, PartialEq)]
pub struct DiagramProps {
    /// The snapshot to draw.
    pub view: Rc<ClusterView>,
    /// kube-proxy state and revision colours.
    pub extras: Rc<Extras>,
    /// Requests in flight.
    pub dots: Rc<Vec<Dot>>,
    /// What is selected.
    pub selected: Selection,
    /// Node columns.
    #[prop_or(3)]
    pub columns: usize,
    /// A pod or node was picked (click / Enter).
    pub on_select: Callback<Selection>,
    /// Delete pressed on a pod.
    pub on_kill: Callback<String>,
    /// The Service drawn (its VIP and endpoint lines), by name.
    #[prop_or_default]
    pub service: Option<String>,
}

/// The cluster diagram: the cluster's layers, which re-render only when the cluster changes,
/// and the request dots above them, which change every frame.
#[function_component(ClusterDiagram)]
pub fn cluster_diagram(props: &DiagramProps) -> Html {
    let view = &props.view;
    let columns = props.columns;
    let layout = use_memo((Rc::clone(view), columns), |(view, columns)| {
        layout(view, *columns)
    });
    html! {
        <svg data-testid="cluster" class={classes!("cluster", layout.compact.then_some("compact"))}
             role="group" aria-label="Cluster diagram: the Service's virtual IP, nodes and pods"
             viewBox={format!("0 0 {} {}", layout.width, layout.height)}
             width={layout.width.to_string()}>
            <ClusterLayers view={Rc::clone(view)} extras={Rc::clone(&props.extras)}
                layout={Rc::clone(&layout)} selected={props.selected.clone()} service={props.service.clone()}
                on_select={props.on_select.clone()} on_kill={props.on_kill.clone()} />
            <Dots layout={layout} dots={Rc::clone(&props.dots)} />
        </svg>
    }
}

#[derive(Properties, PartialEq)]
struct LayersProps {
    view: Rc<ClusterView>,
    extras: Rc<Extras>,
    layout: Rc<Layout>,
    selected: Selection,
    service: Option<String>,
    on_select: Callback<Selection>,
    on_kill: Callback<String>,
}

/// Clients, nodes, endpoint lines, pods and the VIP. Its props are `Rc`s of `Eq` types, so
/// comparing them is a pointer check and a frame that only moved dots skips this whole
/// subtree (a thousand pods would otherwise rebuild a thousand cards' props every frame).
#[function_component(ClusterLayers)]
fn cluster_layers(props: &LayersProps) -> Html {
    let view = &props.view;
    let layout = &props.layout;
    let svc = view
        .services
        .iter()
        .find(|s| Some(&s.name) == props.service.as_ref());
    // Pods the drawn Service's selector does not match are drawn as outside it (without a
    // Service or a selector, nothing is set apart).
    let in_service = |pod: &PodView| {
        svc.filter(|s| s.selector.is_some())
            .is_none_or(|s| s.namespace == pod.namespace && s.selects.contains(&pod.name))
    };
    let all_pods = view
        .nodes
        .iter()
        .flat_map(|n| &n.pods)
        .chain(&view.unscheduled);
    let selected_pod = match &props.selected {
        Selection::Pod(p) => Some(p.as_str()),
        _ => None,
    };
    let selected_node = match &props.selected {
        Selection::Node(n) => Some(n.as_str()),
        _ => None,
    };
    let client_node = view
        .nodes
        .iter()
        .find(|n| n.pods.iter().any(|p| p.name == "client"))
        .map(|n| n.name.clone());
    let node_count = view.nodes.len();
    let endpoint_count = svc.map_or(0, |s| s.endpoints.len());
    let (cw, ch) = layout.card();
    // What left since the last change: remembered only when the drawn state changed (a frame
    // that only moved the clock compares equal and costs no copies).
    let memory = use_mut_ref(Memory::default);
    let (leaving_pods, leaving_endpoints) = {
        let mut m = memory.borrow_mut();
        let changed = m.view.as_ref().is_none_or(|v| {
            v.nodes != view.nodes
                || v.unscheduled != view.unscheduled
                || v.services != view.services
        });
        let now = js_sys::Date::now();
        remember(
            &mut m,
            changed.then_some((view.as_ref(), layout.as_ref(), svc)),
            &props.extras.revisions,
            now,
        );
        if changed {
            m.view = Some(Rc::clone(view));
        }
        let pods: Vec<(String, DrawnPod)> = m
            .pods
            .leaving()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let endpoints: Vec<(String, DrawnEndpoint)> = m
            .endpoints
            .leaving()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        (pods, endpoints)
    };
    // This layer re-renders only when the cluster changes, so a timer re-renders it once
    // what is leaving has faded, to drop it.
    let force = use_force_update();
    let leaving_count = leaving_pods.len() + leaving_endpoints.len();
    use_effect_with(
        (
            leaving_pods
                .iter()
                .map(|(k, _)| k.clone())
                .collect::<Vec<_>>(),
            leaving_endpoints
                .iter()
                .map(|(k, _)| k.clone())
                .collect::<Vec<_>>(),
        ),
        move |_| {
            let timer = (leaving_count > 0).then(|| {
                gloo::timers::callback::Timeout::new(LEAVE_MS as u32 + 20, move || {
                    force.force_update()
                })
            });
            move || drop(timer)
        },
    );
    html! {
        <>
            <Clients user={layout.user} client_node={client_node} />
            { for view.nodes.iter().map(|node| {
                let (x, y, w, h) = layout.nodes.get(&node.name).copied().unwrap_or_default();
                let proxy = props.extras.proxy.get(&node.name).cloned();
                html! {
                    <Node key={node.name.clone()} name={node.name.clone()} ip={node.internal_ip.clone()}
                          ready={node.ready} cordoned={node.unschedulable} up={node.up}
                          pods={node.pods.len()} {proxy} x={x} y={y} w={w} h={h}
                          selected={selected_node == Some(node.name.as_str())}
                          on_select={props.on_select.clone()} />
                }
            }) }
            if let Some(y) = layout.pending_y {
                <text class="strip-label" x={(MARGIN + SIDE_W).to_string()} y={(y + 16).to_string()}>
                    { "Pending: not scheduled to any node yet" }
                </text>
            }
            if let Some(svc) = svc {
                <g class="endpoint-lines" aria-hidden="true">
                    { for svc.endpoints.iter().filter_map(|e| {
                        let (px, py) = layout.pods.get(&e.pod).copied()?;
                        let programmed = props.extras.programmed
                            .get(&format!("{}/{}", svc.name, e.ip))
                            .map_or(0, |s| s.len());
                        Some(html! {
                            <EndpointLine key={format!("{}/{}", e.pod, e.ip)} endpoint={e.clone()}
                                from={layout.vip_anchor()} to={(px + cw / 2, py)}
                                programmed={programmed} nodes={node_count}
                                markers={endpoint_count <= MARKERS_UP_TO} />
                        })
                    }) }
                    { for leaving_endpoints.iter().map(|(key, (e, from, to))| html! {
                        <EndpointLine key={key.clone()} endpoint={e.clone()} from={*from} to={*to}
                            programmed={0} nodes={0} markers={false} leaving={true} />
                    }) }
                </g>
            }
            <g class="pods">
                { for all_pods.map(|pod| {
                    let (x, y) = layout.pods.get(&pod.name).copied().unwrap_or_default();
                    let revision = pod.template_hash.as_ref()
                        .and_then(|h| props.extras.revisions.get(h).copied());
                    let new_ip = pod.ip.is_some() && view.time_ms.saturating_sub(pod.created_ms) < NEW_IP_MS;
                    let grace_s = pod.grace_remaining_ms.map(|ms| ms.div_ceil(1000));
                    let in_service = in_service(pod);
                    html! {
                        <Pod key={pod.uid.clone()} pod={PodCard::from(pod)} x={x} y={y} w={cw} h={ch}
                             compact={layout.compact} {revision} {new_ip} {grace_s} {in_service}
                             selected={selected_pod == Some(pod.name.as_str())}
                             on_select={props.on_select.clone()} on_kill={props.on_kill.clone()} />
                    }
                }) }
                { for leaving_pods.iter().map(|(uid, d)| html! {
                    <Pod key={uid.clone()} pod={d.card.clone()} x={d.at.0} y={d.at.1} w={cw} h={ch}
                         compact={layout.compact} revision={d.revision} new_ip={false} grace_s={None::<u64>}
                         in_service={true} selected={false} leaving={true}
                         on_select={props.on_select.clone()} on_kill={props.on_kill.clone()} />
                }) }
            </g>
            if let Some(svc) = svc {
                <Vip x={layout.vip.0} y={layout.vip.1} name={svc.name.clone()} type_={svc.type_.clone()}
                     ip={svc.cluster_ip.clone().unwrap_or_else(|| "None".into())}
                     ports={svc.ports.join(", ")} lb={svc.load_balancer_ip.clone()}
                     ready={svc.endpoints.iter().filter(|e| e.ready).count()} />
            }
        </>
    }
}

#[derive(Properties, PartialEq)]
struct DotsProps {
    layout: Rc<Layout>,
    dots: Rc<Vec<Dot>>,
}

/// Requests in flight.
#[function_component(Dots)]
fn dots(props: &DotsProps) -> Html {
    let layout = &props.layout;
    html! {
        <g class="dots">
            { for props.dots.iter().map(|d| html! {
                <RequestDot key={d.id} path={dot_path(layout, d, client_node_pos(layout, d))}
                            outcome={d.outcome} cause={d.cause.clone()} id={d.id} />
            }) }
        </g>
    }
}

/// Updates the diagram's memory: `drawn` is what is drawn now, when it changed.
fn remember(
    m: &mut Memory,
    drawn: Option<(
        &ClusterView,
        &Layout,
        Option<&kubeplay_core::view::ServiceView>,
    )>,
    revisions: &BTreeMap<String, usize>,
    now: f64,
) {
    let (pods, endpoints) = match drawn {
        Some((view, layout, svc)) => {
            let (cw, _) = layout.card();
            let pods = view
                .nodes
                .iter()
                .flat_map(|n| &n.pods)
                .chain(&view.unscheduled)
                .map(|p| {
                    let drawn = DrawnPod {
                        card: PodCard::from(p),
                        at: layout.pods.get(&p.name).copied().unwrap_or_default(),
                        revision: p
                            .template_hash
                            .as_ref()
                            .and_then(|h| revisions.get(h).copied()),
                    };
                    (p.uid.clone(), drawn)
                })
                .collect_map();
            let endpoints = svc
                .iter()
                .flat_map(|s| &s.endpoints)
                .filter_map(|e| {
                    let (px, py) = layout.pods.get(&e.pod).copied()?;
                    Some((
                        format!("{}/{}", e.pod, e.ip),
                        (e.clone(), layout.vip_anchor(), (px + cw / 2, py)),
                    ))
                })
                .collect_map();
            (Some(pods), Some(endpoints))
        }
        None => (None, None),
    };
    m.pods.update(pods, now);
    m.endpoints.update(endpoints, now);
}

fn client_node_pos(layout: &Layout, d: &Dot) -> (i32, i32) {
    match &d.from {
        Sender::Pod(name) => layout
            .pod_centre(name)
            .unwrap_or((layout.user.0, layout.user.1 + 90)),
        Sender::External => (layout.user.0 + 20, layout.user.1 + 20),
    }
}

/// Four points: client → VIP → node → pod; a failed request stops where it failed (the
/// remaining points repeat its last position).
pub fn dot_path(layout: &Layout, d: &Dot, start: (i32, i32)) -> [(i32, i32); 4] {
    let (vx, vy) = layout.vip_anchor();
    let vip = (vx, vy - VIP_H / 2);
    let node = d.node.as_deref().and_then(|n| layout.node_anchor(n));
    let pod = d.pod.as_deref().and_then(|p| layout.pod_centre(p));
    match (node, pod) {
        (Some(n), Some(p)) => [start, vip, n, p],
        (Some(n), None) => [start, vip, n, n],
        (None, _) => [start, vip, vip, vip],
    }
}

#[derive(Properties, PartialEq)]
struct ClientsProps {
    user: (i32, i32),
    client_node: Option<String>,
}

#[function_component(Clients)]
fn clients(props: &ClientsProps) -> Html {
    let (x, y) = props.user;
    html! {
        <g class="clients">
            <g class="user" aria-label="External user, outside the cluster" role="img">
                <circle cx={(x + 20).to_string()} cy={(y + 8).to_string()} r="9" />
                <path d={format!("M{} {} q20 -26 40 0 z", x, y + 40)} />
                <text x={(x - 24).to_string()} y={(y + 58).to_string()} class="side-label">{ "external user" }</text>
                <text x={(x - 24).to_string()} y={(y + 72).to_string()} class="side-detail">{ "203.0.113.10" }</text>
            </g>
            <g class="client-legend">
                <rect x={(x - 28).to_string()} y={(y + 96).to_string()} width="132" height="46" rx="6" />
                <text x={(x - 20).to_string()} y={(y + 114).to_string()} class="side-label">{ "client pod" }</text>
                <text x={(x - 20).to_string()} y={(y + 132).to_string()} class="side-detail">
                    { match &props.client_node {
                        Some(n) => format!("on {n}"),
                        None => "not running".to_string(),
                    } }
                </text>
            </g>
        </g>
    }
}

#[derive(Properties, PartialEq)]
struct VipProps {
    x: i32,
    y: i32,
    name: String,
    type_: String,
    ip: String,
    ports: String,
    lb: Option<String>,
    ready: usize,
}

#[function_component(Vip)]
fn vip(p: &VipProps) -> Html {
    let label = format!(
        "Service {} ({}), virtual IP {} port {}, on no interface; {} ready endpoints",
        p.name, p.type_, p.ip, p.ports, p.ready
    );
    html! {
        <g data-testid="vip" class="vip" role="img" aria-label={label}>
            <rect x={p.x.to_string()} y={p.y.to_string()} width={VIP_W.to_string()}
                  height={VIP_H.to_string()} rx="31" />
            <text class="vip-name" x={(p.x + VIP_W / 2).to_string()} y={(p.y + 22).to_string()}>
                { format!("Service {} · {}", p.name, p.type_) }
            </text>
            <text class="vip-ip" x={(p.x + VIP_W / 2).to_string()} y={(p.y + 40).to_string()}>
                { format!("{} : {}", p.ip, p.ports) }
            </text>
            <text class="vip-note" x={(p.x + VIP_W / 2).to_string()} y={(p.y + 54).to_string()}>
                { match &p.lb {
                    Some(lb) => format!("LB {lb} · virtual IP, on no interface"),
                    None => "virtual IP · on no interface".to_string(),
                } }
            </text>
        </g>
    }
}

#[derive(Properties, PartialEq)]
struct EndpointProps {
    endpoint: EndpointView,
    from: (i32, i32),
    to: (i32, i32),
    programmed: usize,
    nodes: usize,
    markers: bool,
    #[prop_or_default]
    leaving: bool,
}

#[function_component(EndpointLine)]
fn endpoint_line(p: &EndpointProps) -> Html {
    let e = &p.endpoint;
    let state = if p.leaving {
        "leaving"
    } else if e.terminating {
        "terminating"
    } else if e.ready {
        "ready"
    } else {
        "not-ready"
    };
    let (x1, y1) = p.from;
    let (x2, y2) = p.to;
    let mid = (y1 + y2) / 2;
    html! {
        <g data-testid={if p.leaving { "leaving-endpoint" } else { "endpoint" }} data-pod={e.pod.clone()}
           class={classes!("endpoint", state)}>
            <path d={format!("M{x1} {y1} C{x1} {mid} {x2} {mid} {x2} {y2}")} />
            if p.markers {
                <g class="programmed">
                    { for (0..p.nodes).map(|i| {
                        let known = i < p.programmed;
                        html! {
                            <rect class={if known { "known" } else { "unknown" }}
                                  x={(x2 - (p.nodes as i32 * 7) / 2 + i as i32 * 7).to_string()}
                                  y={(y2 - 9).to_string()} width="5" height="5" />
                        }
                    }) }
                    <title>{ format!("{} of {} nodes' kube-proxy route to {}", p.programmed, p.nodes, e.ip) }</title>
                </g>
            }
        </g>
    }
}

#[derive(Properties, PartialEq)]
struct NodeProps {
    name: String,
    ip: String,
    ready: bool,
    cordoned: bool,
    up: bool,
    pods: usize,
    proxy: Option<ProxyState>,
    x: i32,
    y: i32,
    w: i32,
    h: i32,
    selected: bool,
    on_select: Callback<Selection>,
}

#[function_component(Node)]
fn node(p: &NodeProps) -> Html {
    let mut class = classes!("node");
    if !p.ready {
        class.push("not-ready");
    }
    if p.cordoned {
        class.push("cordoned");
    }
    if !p.up {
        class.push("down");
    }
    if p.selected {
        class.push("selected");
    }
    let state = match (p.up, p.ready) {
        (false, _) => "powered off, NotReady".to_string(),
        (true, true) => "Ready".to_string(),
        (true, false) => "NotReady".to_string(),
    };
    let state = if p.cordoned {
        format!("{state}, SchedulingDisabled")
    } else {
        state
    };
    let (proxy_text, proxy_class) = match &p.proxy {
        Some(ProxyState { in_sync: true, .. }) => ("kube-proxy in sync".to_string(), "in-sync"),
        Some(ProxyState {
            unprogrammed: true, ..
        })
        | None => ("kube-proxy not running".to_string(), "stale"),
        Some(ProxyState { stale_ms, .. }) => (
            format!("kube-proxy stale {:.1} s", *stale_ms as f64 / 1000.0),
            "stale",
        ),
    };
    let label = format!(
        "Node {}, {}, {state}, {proxy_text}, {} pods. Press Enter for node actions.",
        p.name, p.ip, p.pods
    );
    let select = {
        let cb = p.on_select.clone();
        let name = p.name.clone();
        Callback::from(move |_: MouseEvent| cb.emit(Selection::Node(name.clone())))
    };
    let key = {
        let cb = p.on_select.clone();
        let name = p.name.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Enter" || e.key() == " " {
                e.prevent_default();
                cb.emit(Selection::Node(name.clone()));
            }
        })
    };
    let (x, y) = (p.x, p.y);
    html! {
        <g data-testid="node" data-node={p.name.clone()} {class}>
            <rect class="node-box" x={x.to_string()} y={y.to_string()}
                  width={p.w.to_string()} height={p.h.to_string()} rx="10" />
            <g class="node-head" role="button" tabindex="0" aria-label={label}
               onclick={select} onkeydown={key}>
                <rect class="node-head-hit" x={x.to_string()} y={y.to_string()}
                      width={p.w.to_string()} height={(NODE_HEADER - 8).to_string()} rx="10" />
                <text class="node-name" x={(x + 12).to_string()} y={(y + 22).to_string()}>
                    { &p.name }
                    <tspan class="node-detail" dx="8">{ &p.ip }</tspan>
                </text>
                <text class="node-detail" x={(x + 12).to_string()} y={(y + 40).to_string()}>
                    { state }
                </text>
                <text class={classes!("proxy-state", proxy_class)} x={(x + 12).to_string()} y={(y + 55).to_string()}>
                    { proxy_text }
                </text>
            </g>
        </g>
    }
}

/// What a pod card shows (a subset of [`PodView`], so cards re-render only when it changes).
#[derive(Clone, Debug, PartialEq)]
pub struct PodCard {
    name: String,
    ip: Option<String>,
    node: String,
    status: String,
    ready: bool,
    terminating: bool,
    image: String,
    client: bool,
}

impl From<&PodView> for PodCard {
    fn from(p: &PodView) -> PodCard {
        PodCard {
            name: p.name.clone(),
            ip: p.ip.clone(),
            node: p.node.clone(),
            status: p.status.clone(),
            ready: p.ready,
            terminating: p.terminating,
            image: p.image.clone(),
            client: p.name == "client",
        }
    }
}

/// The state a pod card shows, as a CSS class and words.
pub fn pod_state(p: &PodCard) -> (&'static str, &'static str) {
    if p.terminating {
        ("terminating", "Terminating")
    } else if p.node.is_empty() {
        ("pending", "Pending")
    } else if p.ip.is_none() || p.status == "ContainerCreating" {
        ("creating", "ContainerCreating")
    } else if p.ready {
        ("ready", "Ready")
    } else {
        ("not-ready", "Running, not ready")
    }
}

#[derive(Properties, PartialEq)]
struct PodProps {
    pod: PodCard,
    x: i32,
    y: i32,
    w: i32,
    h: i32,
    compact: bool,
    revision: Option<usize>,
    new_ip: bool,
    grace_s: Option<u64>,
    /// Its labels match the drawn Service's selector.
    in_service: bool,
    selected: bool,
    /// Gone from the state, fading out.
    #[prop_or_default]
    leaving: bool,
    on_select: Callback<Selection>,
    on_kill: Callback<String>,
}

#[function_component(Pod)]
fn pod(p: &PodProps) -> Html {
    let pod = &p.pod;
    let (state, words) = pod_state(pod);
    let tag = pod
        .image
        .rsplit(':')
        .next()
        .unwrap_or(&pod.image)
        .to_string();
    let ip = pod.ip.clone().unwrap_or_else(|| "no IP yet".into());
    let grace = p
        .grace_s
        .filter(|_| pod.terminating)
        .map(|s| format!(", {s} s of grace left"))
        .unwrap_or_default();
    let label = format!(
        "Pod {}, {words}{grace}, IP {ip}, image {}. Enter selects; Delete kills it.",
        pod.name, pod.image
    );
    let select = {
        let cb = p.on_select.clone();
        let name = pod.name.clone();
        Callback::from(move |_: MouseEvent| cb.emit(Selection::Pod(name.clone())))
    };
    let key = {
        let select = p.on_select.clone();
        let kill = p.on_kill.clone();
        let name = pod.name.clone();
        Callback::from(move |e: KeyboardEvent| match e.key().as_str() {
            "Enter" | " " => {
                e.prevent_default();
                select.emit(Selection::Pod(name.clone()));
            }
            "Delete" | "Backspace" => {
                e.prevent_default();
                kill.emit(name.clone());
            }
            _ => {}
        })
    };
    let mut class = classes!("pod", state);
    if let Some(r) = p.revision {
        class.push(format!("rev{}", r % 6));
    }
    if pod.client {
        class.push("client");
    }
    if p.selected {
        class.push("selected");
    }
    if !p.in_service && !pod.client {
        class.push("unmatched");
    }
    let style = format!("transform: translate({}px, {}px)", p.x, p.y);
    if p.leaving {
        class.push("leaving");
        // A copy of what was drawn, fading out: not a control, not part of the state.
        return html! {
            <g data-testid="leaving-pod" data-pod={pod.name.clone()} data-state="leaving" {class} {style}
               aria-hidden="true">
                <rect class="pod-box" width={p.w.to_string()} height={p.h.to_string()} rx="6" />
                if !p.compact {
                    <text class="pod-name" x="7" y="15">{ short_name(&pod.name) }</text>
                    <text class="pod-state" x="7" y="46">{ "Gone" }</text>
                }
            </g>
        };
    }
    html! {
        <g data-testid="pod" data-pod={pod.name.clone()} data-state={state} {class} {style}
           role="button" tabindex="0" aria-label={label} onclick={select} onkeydown={key}>
            <title>{ format!("{} · {words}{grace} · {ip} · {}", pod.name, pod.image) }</title>
            <rect class="pod-box" width={p.w.to_string()} height={p.h.to_string()} rx="6" />
            if !p.compact {
                <text class="pod-name" x="7" y="15">{ short_name(&pod.name) }</text>
                <text class={classes!("pod-ip", p.new_ip.then_some("new-ip"))} x="7" y="30">
                    { if p.new_ip { format!("{ip} new") } else { ip.clone() } }
                </text>
                <text class="pod-state" x="7" y="46">
                    { match (pod.terminating, p.grace_s) {
                        (true, Some(s)) => format!("Terminating {s}s"),
                        _ => format!("{words} · {tag}"),
                    } }
                </text>
            } else if pod.terminating {
                <text class="pod-grace" x={(p.w / 2).to_string()} y="15">
                    { p.grace_s.map(|s| s.to_string()).unwrap_or_default() }
                </text>
            }
        </g>
    }
}

/// `web-7d4bcbbf5b-phh4m` fits a card as is; longer names keep their ends.
fn short_name(name: &str) -> String {
    const MAX: usize = 21;
    let chars: Vec<char> = name.chars().collect();
    if chars.len() <= MAX {
        name.to_string()
    } else {
        let head: String = chars[..9].iter().collect();
        let tail: String = chars[chars.len() - 10..].iter().collect();
        format!("{head}…{tail}")
    }
}

#[derive(Properties, PartialEq)]
struct DotProps {
    id: u64,
    path: [(i32, i32); 4],
    outcome: &'static str,
    cause: String,
}

#[function_component(RequestDot)]
fn request_dot(p: &DotProps) -> Html {
    let [a, b, c, d] = p.path;
    let style = format!(
        "--x0:{}px;--y0:{}px;--x1:{}px;--y1:{}px;--x2:{}px;--y2:{}px;--x3:{}px;--y3:{}px",
        a.0, a.1, b.0, b.1, c.0, c.1, d.0, d.1
    );
    let class = classes!("dot", p.outcome.replace(' ', "-"));
    html! {
        <circle data-testid="request" {class} {style} r="5">
            <title>{ format!("request {}: {} — {}", p.id, p.outcome, p.cause) }</title>
        </circle>
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use kubeplay_core::sim::{Sim, SimConfig};

    fn view_with(nodes: usize, replicas: usize) -> ClusterView {
        let mut sim = Sim::new(SimConfig {
            nodes,
            ..Default::default()
        });
        assert!(
            sim.exec(&format!(
                "kubectl create deployment web --image=nginx --replicas={replicas}"
            ))
            .ok
        );
        sim.advance(5_000);
        sim.view(Some("default"))
    }

    #[test]
    fn every_pod_gets_a_distinct_place_inside_its_node() {
        for (nodes, replicas) in [(3, 3), (3, 20), (10, 100)] {
            let v = view_with(nodes, replicas);
            let l = layout(&v, 5);
            assert_eq!(l.pods.len(), replicas);
            let (w, h) = l.card();
            let mut seen = std::collections::BTreeSet::new();
            for node in &v.nodes {
                let (nx, ny, nw, nh) = l.nodes[&node.name];
                for pod in &node.pods {
                    let (x, y) = l.pods[&pod.name];
                    assert!(seen.insert((x, y)), "two pods at {x},{y}");
                    assert!(
                        x >= nx && x + w <= nx + nw,
                        "{} outside {}",
                        pod.name,
                        node.name
                    );
                    assert!(
                        y >= ny && y + h <= ny + nh,
                        "{} outside {}",
                        pod.name,
                        node.name
                    );
                }
            }
            assert_eq!(l.compact, replicas / nodes > COMPACT_OVER);
        }
    }

    #[test]
    fn the_vip_is_outside_every_node() {
        let v = view_with(4, 4);
        let l = layout(&v, 3);
        let (vx, vy) = l.vip;
        for (x, y, w, h) in l.nodes.values() {
            let overlaps = vx < x + w && vx + VIP_W > *x && vy < y + h && vy + VIP_H > *y;
            assert!(!overlaps);
        }
    }

    #[test]
    fn failed_requests_stop_where_they_failed() {
        let v = view_with(3, 3);
        let l = layout(&v, 3);
        let pod = v.nodes[0].pods.first().map(|p| p.name.clone());
        let dot = |node: Option<&str>, pod: Option<String>| Dot {
            id: 1,
            from: Sender::External,
            node: node.map(String::from),
            pod,
            outcome: "served",
            cause: String::new(),
            born: 0.0,
        };
        let served = dot_path(&l, &dot(Some("node-1"), pod.clone()), (0, 0));
        assert_eq!(
            served[3],
            l.pod_centre(pod.as_deref().unwrap_or(""))
                .unwrap_or_default()
        );
        let timed_out = dot_path(&l, &dot(Some("node-1"), None), (0, 0));
        assert_eq!(timed_out[2], timed_out[3]);
        let refused = dot_path(&l, &dot(None, None), (0, 0));
        assert_eq!(refused[1], refused[3]);
    }

    #[test]
    fn what_leaves_stays_for_a_while_then_goes() {
        let set = |keys: &[&str]| -> Option<BTreeMap<String, u8>> {
            Some(keys.iter().map(|k| (k.to_string(), 0)).collect())
        };
        let leaving = |l: &Leaving<u8>| l.leaving().map(|(k, _)| k.clone()).collect::<Vec<_>>();
        let mut l = Leaving::default();
        l.update(set(&["a", "b", "c"]), 0.0);
        assert!(leaving(&l).is_empty());
        l.update(set(&["a", "c"]), 100.0);
        assert_eq!(leaving(&l), ["b"]);
        // Frames that change nothing keep it until LEAVE_MS after it left.
        l.update(None, 100.0 + LEAVE_MS - 1.0);
        assert_eq!(leaving(&l), ["b"]);
        l.update(None, 100.0 + LEAVE_MS);
        assert!(leaving(&l).is_empty());
        // Something that comes back (same key) is no longer leaving.
        l.update(set(&["c"]), 1_000.0);
        assert_eq!(leaving(&l), ["a"]);
        l.update(set(&["a", "c"]), 1_010.0);
        assert!(leaving(&l).is_empty());
    }

    #[test]
    fn pod_states_table() {
        let base = PodCard {
            name: "web-1".into(),
            ip: Some("10.244.1.2".into()),
            node: "node-1".into(),
            status: "Running".into(),
            ready: true,
            terminating: false,
            image: "nginx:1.25".into(),
            client: false,
        };
        let cases = [
            (
                PodCard {
                    node: String::new(),
                    ip: None,
                    ready: false,
                    status: "Pending".into(),
                    ..base.clone()
                },
                "pending",
            ),
            (
                PodCard {
                    ip: None,
                    ready: false,
                    status: "ContainerCreating".into(),
                    ..base.clone()
                },
                "creating",
            ),
            (
                PodCard {
                    ready: false,
                    ..base.clone()
                },
                "not-ready",
            ),
            (base.clone(), "ready"),
            (
                PodCard {
                    terminating: true,
                    ..base.clone()
                },
                "terminating",
            ),
        ];
        for (card, want) in cases {
            assert_eq!(pod_state(&card).0, want, "{card:?}");
        }
        assert_eq!(short_name("web-7d4bcbbf5b-phh4m"), "web-7d4bcbbf5b-phh4m");
        assert_eq!(
            short_name("averyveryverylongname-7d4bcbbf5b-phh4m"),
            "averyvery…bf5b-phh4m"
        );
    }
}

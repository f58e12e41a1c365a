//! The node diagram: one box per node with its pods, drawn as SVG from a [`ClusterView`].

use kubeplay_core::view::{ClusterView, NodeView, PodView};
use std::rc::Rc;
use yew::prelude::*;

const NODE_W: usize = 290;
const GAP: usize = 20;
const HEADER_H: usize = 56;
const POD_H: usize = 46;
const POD_GAP: usize = 8;
const PAD: usize = 12;
/// Room for this many pods per node before the drawing grows taller.
const MIN_ROWS: usize = 4;

/// Props of [`ClusterDiagram`].
#[derive(Properties, PartialEq)]
pub struct DiagramProps {
    /// The snapshot to draw.
    pub view: Rc<ClusterView>,
}

/// The cluster as boxes: nodes side by side, each listing its pods; unscheduled pods below.
#[function_component(ClusterDiagram)]
pub fn cluster_diagram(props: &DiagramProps) -> Html {
    let view = &props.view;
    let rows = view
        .nodes
        .iter()
        .map(|n| n.pods.len())
        .max()
        .unwrap_or(0)
        .max(MIN_ROWS);
    let node_h = HEADER_H + rows * (POD_H + POD_GAP) + PAD;
    let columns = view.nodes.len().max(1);
    let width = columns * NODE_W + (columns + 1) * GAP;
    let pending_h = if view.unscheduled.is_empty() {
        0
    } else {
        HEADER_H + POD_H + PAD
    };
    let height = GAP + node_h + GAP + pending_h;
    html! {
        <svg data-testid="cluster" class="cluster" role="img"
             aria-label="Cluster nodes and their pods"
             viewBox={format!("0 0 {width} {height}")}>
            { for view.nodes.iter().enumerate().map(|(i, node)| html! {
                <Node key={node.name.clone()} node={node.clone()}
                      x={GAP + i * (NODE_W + GAP)} y={GAP} height={node_h} />
            }) }
            if !view.unscheduled.is_empty() {
                <g class="unscheduled">
                    <text class="node-name" x={GAP.to_string()} y={(GAP + node_h + GAP + 20).to_string()}>
                        { "Not scheduled yet" }
                    </text>
                    { for view.unscheduled.iter().enumerate().map(|(i, pod)| html! {
                        <Pod key={pod.uid.clone()} pod={pod.clone()}
                             x={GAP + i * (NODE_W - 2 * PAD + GAP)} y={GAP + node_h + GAP + 32} />
                    }) }
                </g>
            }
        </svg>
    }
}

#[derive(Properties, PartialEq)]
struct NodeProps {
    node: NodeView,
    x: usize,
    y: usize,
    height: usize,
}

#[function_component(Node)]
fn node(props: &NodeProps) -> Html {
    let NodeProps { node, x, y, height } = props;
    let mut class = classes!("node");
    if !node.ready {
        class.push("not-ready");
    }
    if node.unschedulable {
        class.push("cordoned");
    }
    let state = match (node.ready, node.unschedulable) {
        (true, false) => "Ready",
        (true, true) => "Ready, SchedulingDisabled",
        (false, false) => "NotReady",
        (false, true) => "NotReady, SchedulingDisabled",
    };
    html! {
        <g data-testid="node" data-node={node.name.clone()} {class}>
            <rect class="node-box" x={x.to_string()} y={y.to_string()}
                  width={NODE_W.to_string()} height={height.to_string()} rx="10" />
            <text class="node-name" x={(x + PAD).to_string()} y={(y + 24).to_string()}>
                { &node.name }
            </text>
            <text class="node-detail" x={(x + PAD).to_string()} y={(y + 42).to_string()}>
                { format!("{} · {state}", node.internal_ip) }
            </text>
            { for node.pods.iter().enumerate().map(|(i, pod)| html! {
                <Pod key={pod.uid.clone()} pod={pod.clone()}
                     x={x + PAD} y={y + HEADER_H + i * (POD_H + POD_GAP)} />
            }) }
        </g>
    }
}

#[derive(Properties, PartialEq)]
struct PodProps {
    pod: PodView,
    x: usize,
    y: usize,
}

#[function_component(Pod)]
fn pod(props: &PodProps) -> Html {
    let PodProps { pod, x, y } = props;
    let state = pod_state(pod);
    html! {
        <g data-testid="pod" data-pod={pod.name.clone()} class={classes!("pod", state)}>
            <rect class="pod-box" x={x.to_string()} y={y.to_string()}
                  width={(NODE_W - 2 * PAD).to_string()} height={POD_H.to_string()} rx="6" />
            <text class="pod-name" x={(x + 10).to_string()} y={(y + 19).to_string()}>
                { &pod.name }
            </text>
            <text class="pod-detail" x={(x + 10).to_string()} y={(y + 37).to_string()}>
                { format!("{} · {}", pod.ip.as_deref().unwrap_or("no IP yet"), pod.status) }
            </text>
        </g>
    }
}

/// The CSS class that colours a pod: serving traffic, on its way, or on its way out.
fn pod_state(pod: &PodView) -> &'static str {
    if pod.terminating {
        "terminating"
    } else if pod.ready {
        "ready"
    } else {
        "starting"
    }
}

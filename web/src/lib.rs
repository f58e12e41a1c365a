//! Kubeplay's Yew front end: renders the core's `Sim` and sends it console commands.
//!
//! Placeholder page until the core's `Sim` lands: three nodes and locally counted pods.
use yew::prelude::*;

const NODES: usize = 3;

/// The root component.
#[function_component(App)]
pub fn app() -> Html {
    let pods = use_state(|| 3usize);
    let onclick = {
        let pods = pods.clone();
        Callback::from(move |_: MouseEvent| pods.set(*pods + 1))
    };
    let nodes = (0..NODES).map(|n| {
        let x = 20 + n * 260;
        let pods_here = (0..*pods).filter(|p| p % NODES == n).map(|p| {
            let row = p / NODES;
            let y = 70 + row * 40;
            html! {
                <g key={p} data-testid="pod">
                    <rect class="pod" x={(x + 20).to_string()} y={y.to_string()} width="200" height="30" rx="6" />
                    <text x={(x + 30).to_string()} y={(y + 20).to_string()}>{ format!("web-{p}") }</text>
                </g>
            }
        });
        html! {
            <g key={n} data-testid="node">
                <rect class="node" x={x.to_string()} y="20" width="240" height="360" rx="10" />
                <text class="node-name" x={(x + 12).to_string()} y="48">{ format!("node-{}", n + 1) }</text>
                { for pods_here }
            </g>
        }
    });
    html! {
        <main class="kubeplay">
            <h1>{ "Kubeplay" }</h1>
            <button data-testid="scale-up" {onclick}>{ "Scale up" }</button>
            <svg data-testid="cluster" class="cluster" viewBox="0 0 800 400" role="img">
                { for nodes }
            </svg>
        </main>
    }
}

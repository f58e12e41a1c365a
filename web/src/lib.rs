//! Kubeplay's Yew front end: renders the core's `Sim` and sends it console commands.
//!
//! One reducer ([`playground::Playground`]) owns the simulated cluster; components draw its
//! snapshot and dispatch [`playground::Action`]s. No Kubernetes logic lives in this crate.

pub mod diagram;
pub mod playground;

use diagram::ClusterDiagram;
use gloo::timers::callback::Interval;
use playground::{Action, Playground};
use yew::prelude::*;

/// Real milliseconds between clock ticks; each tick lets as much virtual time pass, so the
/// cluster runs at wall-clock speed.
const TICK_MS: u32 = 200;
/// How many past commands the console echo keeps on screen.
const ECHO_LINES: usize = 4;

/// The root component.
#[function_component(App)]
pub fn app() -> Html {
    let playground = use_reducer(Playground::new);
    {
        let dispatcher = playground.dispatcher();
        use_effect_with((), move |_| {
            let clock = Interval::new(TICK_MS, move || {
                dispatcher.dispatch(Action::Tick(u64::from(TICK_MS)))
            });
            // Dropping the interval on unmount stops the clock.
            move || drop(clock)
        });
    }
    let on_scale_up = {
        let dispatcher = playground.dispatcher();
        Callback::from(move |_: MouseEvent| dispatcher.dispatch(Action::ScaleUp))
    };
    let echo = playground.history.iter().rev().take(ECHO_LINES).rev();
    html! {
        <main class="kubeplay">
            <header>
                <h1>{ "Kubeplay" }</h1>
                <p class="tagline">{ "A simulated Kubernetes cluster in your browser." }</p>
            </header>
            <section class="controls">
                <button data-testid="scale-up" onclick={on_scale_up}
                        title={playground.scale_up_command()}>
                    { "Scale up" }
                </button>
                <span class="clock">{ format!("t = {:.1} s", playground.view.time_ms as f64 / 1000.0) }</span>
            </section>
            <ClusterDiagram view={playground.view.clone()} />
            <pre class="console" data-testid="console" aria-live="polite">
                { for echo.map(|e| html! {
                    <>
                        <span class="prompt">{ format!("$ {}\n", e.command) }</span>
                        <span class={if e.output.ok { "stdout" } else { "stderr" }}>
                            { format!("{}{}", e.output.stdout, e.output.stderr) }
                        </span>
                    </>
                }) }
            </pre>
        </main>
    }
}

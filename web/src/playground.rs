//! The page's one piece of state: the simulated cluster, plus what the page shows of it.
//!
//! Everything the user does becomes an [`Action`] on this reducer; the components only draw
//! [`Playground::view`] and dispatch actions. No Kubernetes logic lives here: commands go to
//! the core's console exactly as a user would type them.

use kubeplay_core::kubectl::CommandOutput;
use kubeplay_core::view::ClusterView;
use kubeplay_core::{Sim, SimConfig};
use std::cell::RefCell;
use std::rc::Rc;
use yew::Reducible;

/// The Deployment the first page works with.
pub const DEPLOYMENT: &str = "web";
/// Its replicas at start.
pub const INITIAL_REPLICAS: u32 = 3;
/// The namespace drawn (the Deployment's).
const NAMESPACE: &str = "default";

/// A command the page ran and what the console printed for it.
#[derive(Clone, Debug, PartialEq)]
pub struct Echo {
    /// The command line, as typed.
    pub command: String,
    /// The console's answer.
    pub output: CommandOutput,
}

/// What the user (or the clock) can do to the playground.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Let `ms` of virtual time pass.
    Tick(u64),
    /// `kubectl scale` the Deployment to one more replica.
    ScaleUp,
}

/// The reducer state.
///
/// The `Sim` is large and not `Clone`, so every state shares one `Sim` and carries its own
/// snapshot (`view`): a render only ever reads the snapshot.
pub struct Playground {
    sim: Rc<RefCell<Sim>>,
    /// The cluster as drawn.
    pub view: Rc<ClusterView>,
    /// The Deployment's desired replicas, as last set by a command.
    pub replicas: u32,
    /// Commands run so far, oldest first.
    pub history: Vec<Echo>,
}

impl Playground {
    /// A three-node cluster running `web` with [`INITIAL_REPLICAS`] pods.
    pub fn new() -> Playground {
        let mut sim = Sim::new(SimConfig {
            nodes: 3,
            seed: 1,
            ..Default::default()
        });
        let command = format!(
            "kubectl create deployment {DEPLOYMENT} --image=nginx --replicas={INITIAL_REPLICAS}"
        );
        let output = sim.exec(&command);
        let view = Rc::new(sim.view(Some(NAMESPACE)));
        Playground {
            sim: Rc::new(RefCell::new(sim)),
            view,
            replicas: INITIAL_REPLICAS,
            history: vec![Echo { command, output }],
        }
    }

    /// The command [`Action::ScaleUp`] runs next.
    pub fn scale_up_command(&self) -> String {
        format!(
            "kubectl scale deployment {DEPLOYMENT} --replicas={}",
            self.replicas + 1
        )
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
        let mut replicas = self.replicas;
        let mut history = self.history.clone();
        let view = {
            let mut sim = self.sim.borrow_mut();
            match action {
                Action::Tick(ms) => sim.advance(ms),
                Action::ScaleUp => {
                    let command = self.scale_up_command();
                    let output = sim.exec(&command);
                    if output.ok {
                        replicas += 1;
                    }
                    history.push(Echo { command, output });
                }
            }
            sim.view(Some(NAMESPACE))
        };
        Rc::new(Playground {
            sim: Rc::clone(&self.sim),
            view: Rc::new(view),
            replicas,
            history,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pods(p: &Playground) -> usize {
        let on_nodes: usize = p.view.nodes.iter().map(|n| n.pods.len()).sum();
        on_nodes + p.view.unscheduled.len()
    }

    fn running(p: &Playground) -> usize {
        p.view
            .nodes
            .iter()
            .flat_map(|n| &n.pods)
            .filter(|pod| pod.ready && pod.ip.is_some())
            .count()
    }

    fn after(p: Rc<Playground>, actions: &[Action]) -> Rc<Playground> {
        actions.iter().fold(p, |p, a| p.reduce(*a))
    }

    #[test]
    fn starts_with_three_nodes_and_the_deployment_created() {
        let p = Playground::new();
        assert_eq!(p.view.nodes.len(), 3);
        assert_eq!(p.history.len(), 1);
        assert!(p.history[0].output.ok, "{:?}", p.history[0].output);
        assert_eq!(p.history[0].output.stdout, "deployment.apps/web created\n");
        assert_eq!(pods(&p), INITIAL_REPLICAS as usize);
    }

    #[test]
    fn pods_become_ready_with_ips_as_virtual_time_passes() {
        let p = after(Rc::new(Playground::new()), &[Action::Tick(10_000)]);
        assert_eq!(running(&p), INITIAL_REPLICAS as usize);
    }

    #[test]
    fn scale_up_runs_kubectl_scale_and_adds_a_pod() {
        let p = Rc::new(Playground::new());
        assert_eq!(
            p.scale_up_command(),
            "kubectl scale deployment web --replicas=4"
        );
        let p = after(p, &[Action::ScaleUp]);
        let echo = p.history.last().cloned();
        assert_eq!(
            echo.map(|e| (e.command, e.output.stdout)),
            Some((
                "kubectl scale deployment web --replicas=4".to_string(),
                "deployment.apps/web scaled\n".to_string()
            ))
        );
        assert_eq!(p.replicas, 4);
        assert_eq!(pods(&p), 4);
        let p = after(p, &[Action::ScaleUp, Action::Tick(10_000)]);
        assert_eq!((p.replicas, running(&p)), (5, 5));
    }
}

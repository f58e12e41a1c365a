//! The cloud controller manager's service controller, for the simulated cloud: provisions a
//! load balancer for every `type: LoadBalancer` Service after a realistic delay, and publishes
//! its address in `status.loadBalancer.ingress` (until then kubectl shows `<pending>`).

use super::{Controller, Ctx, Queue};
use crate::api::core::LoadBalancerIngress;
use crate::api::*;
use crate::apiserver::{object_ref, ApiServer, ObjectKey, WatchEvent};
use crate::infra::Infra;
use crate::time::Millis;

/// The controller.
pub struct ServiceLbController {
    provision_ms: Millis,
    provisioning: std::collections::HashMap<SharedStr, Millis>,
}

impl ServiceLbController {
    /// A controller whose load balancers take `provision_ms` to come up.
    pub fn new(provision_ms: Millis) -> Self {
        ServiceLbController {
            provision_ms,
            provisioning: Default::default(),
        }
    }
}

fn wants_lb(s: &Service) -> bool {
    s.spec.type_.as_deref() == Some("LoadBalancer") && s.spec.load_balancer_class.is_none()
}

impl Controller for ServiceLbController {
    fn name(&self) -> &'static str {
        "service-controller"
    }

    fn on_event(&mut self, ev: &WatchEvent, _api: &ApiServer, _infra: &Infra, queue: &mut Queue) {
        if let Some(Object::Service(s)) = &ev.new {
            if wants_lb(s) && s.status.load_balancer.ingress.is_empty() {
                queue.add(ev.key.clone());
            }
        }
    }

    fn reconcile(&mut self, key: &ObjectKey, ctx: &mut Ctx<'_>) {
        let Some(svc) = ctx.api.get::<Service>(&key.namespace, &key.name) else {
            return;
        };
        if !wants_lb(&svc) || !svc.status.load_balancer.ingress.is_empty() {
            return;
        }
        let now = ctx.api.now;
        let ready_at = match self.provisioning.get(&svc.metadata.uid) {
            Some(&t) => t,
            None => {
                ctx.api.record_event(
                    object_ref(&*svc),
                    "Normal",
                    "EnsuringLoadBalancer",
                    "Ensuring load balancer".into(),
                    "service-controller",
                    None,
                );
                let t = now + self.provision_ms;
                self.provisioning.insert(svc.metadata.uid.clone(), t);
                t
            }
        };
        if now < ready_at {
            ctx.queue.add_after(key.clone(), ready_at - now);
            return;
        }
        self.provisioning.remove(&svc.metadata.uid);
        let Some(ip) = ctx.api.allocators.next_lb_ip() else {
            return;
        };
        let ip = ip.to_string();
        let res = ctx.api.modify::<Service>(&key.namespace, &key.name, |s| {
            s.status.load_balancer.ingress = vec![LoadBalancerIngress {
                ip: Some(ip.clone()),
                hostname: None,
                ip_mode: Some("VIP".into()),
            }];
        });
        if res.is_ok() {
            ctx.api.record_event(
                object_ref(&*svc),
                "Normal",
                "EnsuredLoadBalancer",
                "Ensured load balancer".into(),
                "service-controller",
                None,
            );
        } else {
            ctx.api.allocators.release_lb_ip(&ip);
        }
    }
}

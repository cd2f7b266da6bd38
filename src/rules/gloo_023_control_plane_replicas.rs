//! GLOO-023: the gloo control plane runs at least two replicas.

use super::common::leader_election::leader_election_values;
use super::common::replicas::{at_least_two, effective_replicas};
use super::helpers::{na_without, refix_failures};
use super::{Fix, Outcome, OutcomeFix, Rule, Severity, Target};
use crate::parse::model::Model;
use crate::parse::values::merge;

pub(super) static RULE: Rule = Rule {
    id: "GLOO-023",
    title: "Control plane has >= 2 replicas",
    severity: Severity::Medium,
    source:
        "Gloo production guide (Latest) \"Horizontally scaling the control plane\": \"increase \
        the number of pods ... in the `gloo.deployment.replicas` Helm setting\"",
    why: "With one gloo pod, configuration updates and webhook validation stop whenever it \
        restarts (Envoy keeps serving its last configuration).",
    predicate: "The `gloo` control-plane Deployment: `spec.replicas >= 2` (absent = 1; when a \
        HorizontalPodAutoscaler targets it, its `minReplicas` instead). A non-integer count \
        FAILs. NA when the gloo Deployment is not in the render.",
    fix_doc: "All versions: `gloo.deployment.replicas: 2` (Enterprise and umbrella charts: \
        `gloo.gloo.deployment.replicas`). Keep leader election on (GLOO-024); 1.17+ also offers \
        `gloo.podDisruptionBudget` for the control plane.",
    fixes: &[Fix::all("gloo.deployment.replicas", "2")],
    check,
};

fn check<'a>(m: &Model<'a>) -> Vec<Outcome<'a>> {
    let outcomes = m.gloo.map(|gloo| {
        let (status, message) = at_least_two(effective_replicas(m, gloo), "one control-plane pod");
        Outcome::new(status, gloo, Target::Chart, message)
    });
    // More replicas with leader election off would fail GLOO-024 (high): the fix turns it back
    // on as well.
    let outcomes = refix_failures(outcomes.into_iter().collect(), |_| {
        let mut values = m.gloo_container().and_then(leader_election_values)?;
        merge(&mut values, serde_json::json!({ "deployment": { "replicas": 2 } }));
        Some(OutcomeFix::Custom { path: "gloo".into(), value: values })
    });
    na_without(m, outcomes, "gloo control-plane Deployment")
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::testing::{gloo, proxy, statuses};
    use crate::rules::Status::*;

    #[test]
    fn judges_the_replica_count() {
        assert_eq!(statuses(&RULE, &gloo("replicas: 1", ""), "1.17.38"), [Fail]);
        assert_eq!(statuses(&RULE, &gloo("", ""), "1.17.38"), [Fail], "absent = 1");
        assert_eq!(statuses(&RULE, &gloo("replicas: 2", ""), "1.17.38"), [Pass]);
        assert_eq!(statuses(&RULE, &gloo("replicas: 3", ""), "1.17.38"), [Pass]);
        assert_eq!(
            statuses(&RULE, &gloo("replicas: \"2\"", ""), "1.17.38"),
            [Fail],
            "a string is not a count"
        );
    }

    #[test]
    fn an_hpa_minimum_counts() {
        let hpa = "---\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: gloo\n  namespace: gloo-system\nspec:\n  minReplicas: 2\n  maxReplicas: 4\n  scaleTargetRef:\n    kind: Deployment\n    name: gloo\n";
        assert_eq!(statuses(&RULE, &(gloo("replicas: 1", "") + hpa), "1.17.38"), [Pass]);
    }

    #[test]
    fn more_replicas_turn_leader_election_back_on() {
        use crate::rules::testing::fixes;
        use crate::rules::OutcomeFix;
        let off = "env:\n- name: POD_NAMESPACE\n  value: x\n- name: DISABLE_LEADER_ELECTION\n  value: \"true\"";
        let expected = OutcomeFix::Custom {
            path: "gloo".into(),
            value: serde_json::json!({"disableLeaderElection": false, "deployment": {"replicas": 2}}),
        };
        assert_eq!(fixes(&RULE, &gloo("replicas: 1", off), "1.17.38"), [(Fail, expected)]);
        assert_eq!(
            fixes(&RULE, &gloo("replicas: 1", ""), "1.17.38"),
            [(Fail, OutcomeFix::Declared)],
            "leader election on: the declared fix"
        );
    }

    #[test]
    fn not_applicable_without_the_gloo_deployment() {
        assert_eq!(statuses(&RULE, &proxy("", ""), "1.17.38"), [Na]);
    }
}

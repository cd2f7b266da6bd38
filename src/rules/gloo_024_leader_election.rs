//! GLOO-024: leader election stays on when several gloo replicas run.

use super::common::leader_election::{custom_env_entries, custom_env_note, leader_election_values};
use super::common::replicas::effective_replicas;
use super::helpers::{fail, na, na_without, pass, refix_judged};
use super::{Fix, Outcome, OutcomeFix, Rule, Severity, Target};
use crate::parse::model::{env_value, go_truthy, Model};

pub(super) static RULE: Rule = Rule {
    id: "GLOO-024",
    title: "Leader election on with several replicas",
    severity: Severity::High,
    source: "Gloo production guide (Latest): \"Leave the `gloo.disableLeaderElection` Helm field \
        set to the default value of `false` when you have multiple replicas\"",
    why:
        "Several gloo replicas without leader election all act as writers and fight over resource \
        statuses and proxy configuration.",
    predicate: "The `gloo` Deployment: FAIL iff its `gloo` container's env \
        `DISABLE_LEADER_ELECTION` is true by Go's `strconv.ParseBool` (`1`, `t`, `T`, `true`, \
        `TRUE`, `True`) and `spec.replicas` (absent = 1; an HPA's `minReplicas` when one targets \
        it) is > 1. Disabled with one replica = PASS (noted). NA when the gloo Deployment or its \
        container is not in the render.",
    fix_doc: "All versions: `gloo.disableLeaderElection: false` (the default). Also check \
        `gloo.deployment.customEnv`, which can inject the same variable.",
    fixes: &[Fix::all("gloo.disableLeaderElection", "false")],
    check,
};

fn check<'a>(m: &Model<'a>) -> Vec<Outcome<'a>> {
    let outcomes = m
        .gloo
        .map(|gloo| {
            let (status, message) = match m.gloo_container() {
                None => na("no gloo container in the control-plane Deployment"),
                Some(c) => {
                    let env = env_value(c, "DISABLE_LEADER_ELECTION");
                    let replicas = effective_replicas(m, gloo);
                    match (env.as_deref().is_some_and(go_truthy), replicas) {
                        (false, _) => pass(match env {
                            Some(v) => {
                                format!("DISABLE_LEADER_ELECTION is {v:?}: leader election is on")
                            }
                            None => "DISABLE_LEADER_ELECTION is not set: leader election is on"
                                .to_string(),
                        }),
                        (true, Ok(r)) if r.count <= 1 => pass(format!(
                            "leader election is disabled, but {}: only one writer",
                            r.source
                        )),
                        (true, Ok(r)) => fail(format!(
                            "leader election is disabled{} and {}: several active writers",
                            custom_env_note(c),
                            r.source
                        )),
                        (true, Err(e)) => fail(format!(
                            "leader election is disabled{} and {e}",
                            custom_env_note(c)
                        )),
                    }
                }
            };
            Outcome::new(status, gloo, Target::Chart, message)
        })
        .into_iter()
        .collect();
    // Set through customEnv: the declared fix alone would leave it disabled.
    let outcomes = refix_judged(outcomes, |_| {
        let container = m.gloo_container()?;
        let values = leader_election_values(container)?;
        (!custom_env_entries(container).is_empty())
            .then(|| OutcomeFix::Custom { path: "gloo".into(), value: values })
    });
    na_without(m, outcomes, "gloo control-plane Deployment")
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::testing::{gloo, proxy, statuses};
    use crate::rules::Status::*;

    fn env(value: &str) -> String {
        format!("env:\n- name: DISABLE_LEADER_ELECTION\n  value: {value}")
    }

    #[test]
    fn disabled_with_several_replicas_fails() {
        assert_eq!(statuses(&RULE, &gloo("replicas: 2", &env("\"true\"")), "1.17.38"), [Fail]);
        assert_eq!(
            statuses(&RULE, &gloo("replicas: 3", &env("\"1\"")), "1.17.38"),
            [Fail],
            "Go-true"
        );
        assert_eq!(
            statuses(&RULE, &gloo("replicas: 3", &env("\"T\"")), "1.17.38"),
            [Fail],
            "Go-true"
        );
    }

    #[test]
    fn enabled_or_single_replica_passes() {
        assert_eq!(statuses(&RULE, &gloo("replicas: 2", ""), "1.17.38"), [Pass]);
        assert_eq!(statuses(&RULE, &gloo("replicas: 2", &env("\"false\"")), "1.17.38"), [Pass]);
        assert_eq!(
            statuses(&RULE, &gloo("replicas: 2", &env("\"yes\"")), "1.17.38"),
            [Pass],
            "not Go-true"
        );
        assert_eq!(statuses(&RULE, &gloo("replicas: 1", &env("\"true\"")), "1.17.38"), [Pass]);
        assert_eq!(
            statuses(&RULE, &gloo("", &env("\"true\"")), "1.17.38"),
            [Pass],
            "absent replicas = 1"
        );
    }

    #[test]
    fn set_through_custom_env_the_fix_takes_the_entry_out_of_the_list() {
        use crate::rules::testing::fixes;
        use crate::rules::OutcomeFix;
        // The chart's own leading entries (a license, 1.22's GOMEMLIMIT) are not the user's list.
        let custom = "env:\n- name: GLOO_LICENSE_KEY\n  value: x\n- name: GOMEMLIMIT\n  value: 900MiB\n- name: DISABLE_LEADER_ELECTION\n  value: \"1\"\n- name: LOG_LEVEL\n  value: info\n- name: POD_NAMESPACE\n  value: x";
        let expected = OutcomeFix::Custom {
            path: "gloo".into(),
            value: serde_json::json!({"disableLeaderElection": false, "deployment": {"customEnv": [{"name": "LOG_LEVEL", "value": "info"}]}}),
        };
        assert_eq!(fixes(&RULE, &gloo("replicas: 3", custom), "1.17.38"), [(Fail, expected)]);
        // The chart's own entry (after POD_NAMESPACE): gloo.disableLeaderElection, the declared fix.
        let chart = "env:\n- name: POD_NAMESPACE\n  value: x\n- name: DISABLE_LEADER_ELECTION\n  value: \"true\"";
        assert_eq!(
            fixes(&RULE, &gloo("replicas: 3", chart), "1.17.38"),
            [(Fail, OutcomeFix::Declared)]
        );
    }

    #[test]
    fn the_last_env_entry_wins() {
        let both = "env:\n- name: DISABLE_LEADER_ELECTION\n  value: \"true\"\n- name: DISABLE_LEADER_ELECTION\n  value: \"false\"";
        assert_eq!(statuses(&RULE, &gloo("replicas: 2", both), "1.17.38"), [Pass]);
    }

    #[test]
    fn not_applicable_without_the_gloo_deployment() {
        assert_eq!(statuses(&RULE, &proxy("", ""), "1.17.38"), [Na]);
    }
}

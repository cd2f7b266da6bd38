//! GLOO-009: secrets sent in headers must live in the destination upstream's namespace.

use super::helpers::{fail, na, pass, Verdict};
use super::{Fix, Outcome, Rule, Severity, Target, Versions};
use crate::parse::model::{go_truthy, Model};
use crate::parse::version::Version;
use crate::parse::yaml::Node;

pub(super) static RULE: Rule = Rule {
    id: "GLOO-009",
    title: "Header secrets from the upstream's namespace",
    severity: Severity::Medium,
    source: "Gloo production guide (Latest): \"set the gloo.headerSecretRefNsMatchesUs Helm field \
        to true, which requires any secrets that are sent in headers to come from the same \
        namespace as the destination upstream\"",
    why: "Otherwise a route author can make Envoy send another namespace's secret to an upstream \
        of their choosing.",
    predicate: "The `gloo` container's env `HEADER_SECRET_REF_NS_MATCHES_US` is true as Go's \
        `strconv.ParseBool` reads it (`1`, `t`, `T`, `true`, `TRUE`, `True`; the chart renders \
        `\"true\"`). Absent (or set through `valueFrom`, which cannot be checked) = FAIL. NA for \
        charts below 1.15 (the key and the feature do not exist) and when the gloo Deployment is \
        not rendered.",
    fix_doc: "1.15+ (1.17.38, 1.22.1): `gloo.headerSecretRefNsMatchesUs: true`; \
        Enterprise/umbrella: `gloo.gloo.headerSecretRefNsMatchesUs`. 1.13: impossible (the key \
        renders nothing); upgrade. Existing cross-namespace `headerSecretRef`s stop working.",
    fixes: &[Fix::new(
        Versions::from(Version::new(1, 15, 0)),
        "gloo.headerSecretRefNsMatchesUs",
        "true",
    )],
    check,
};

const ENV: &str = "HEADER_SECRET_REF_NS_MATCHES_US";

fn judge(container: &Node) -> Verdict {
    let env = container.get("env").map(Node::items).unwrap_or_default();
    // Kubernetes keeps the last of duplicate names.
    let Some(var) = env.iter().rev().find(|e| e.get("name").and_then(Node::as_str) == Some(ENV))
    else {
        return fail(format!("{ENV} is absent (false)"));
    };
    match var.get("value") {
        Some(v) => match v.as_str() {
            Some(text) if go_truthy(text) => pass(format!("{ENV} is \"{text}\"")),
            Some(text) => fail(format!("{ENV} is \"{text}\" (not true)")),
            None if v.is_null() && var.get("valueFrom").is_some() => {
                fail(format!("{ENV} is set through valueFrom (cannot be checked)"))
            }
            None if v.is_null() => fail(format!("{ENV} has no value (false)")),
            None => fail(format!(
                "{ENV} is {} (not a string; Kubernetes rejects it)",
                super::helpers::show(Some(v))
            )),
        },
        None if var.get("valueFrom").is_some() => {
            fail(format!("{ENV} is set through valueFrom (cannot be checked)"))
        }
        None => fail(format!("{ENV} has no value (false)")),
    }
}

fn check<'a>(m: &Model<'a>) -> Vec<Outcome<'a>> {
    let (Some(gloo), Some(container)) = (m.gloo, m.gloo_container()) else {
        return super::helpers::na_without(m, Vec::new(), "gloo control-plane Deployment");
    };
    let (status, message) = match m.version {
        Some(v) if !m.chart_at_least(1, 15) => {
            na(format!("chart {v} < 1.15: the header-secret namespace check does not exist"))
        }
        _ => judge(container),
    };
    vec![Outcome::new(status, gloo, Target::Chart, message)]
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::testing::{gloo, settings, statuses};
    use crate::rules::Status::*;

    fn env(value: &str) -> String {
        gloo("replicas: 1\n", &format!("env:\n- name: POD_NAMESPACE\n  value: gloo-system\n- name: HEADER_SECRET_REF_NS_MATCHES_US\n  {value}\n"))
    }

    #[test]
    fn fails_when_absent_or_false() {
        assert_eq!(
            statuses(
                &RULE,
                &gloo("replicas: 1\n", "env:\n- name: POD_NAMESPACE\n  value: x\n"),
                "1.17.38"
            ),
            [Fail]
        );
        assert_eq!(statuses(&RULE, &gloo("", ""), "1.22.1"), [Fail]);
        assert_eq!(statuses(&RULE, &env("value: \"false\""), "1.17.38"), [Fail]);
        assert_eq!(
            statuses(&RULE, &env("value: \"yes\""), "1.17.38"),
            [Fail],
            "ParseBool rejects yes"
        );
        assert_eq!(
            statuses(&RULE, &env("valueFrom:\n    configMapKeyRef: {name: x, key: y}"), "1.17.38"),
            [Fail]
        );
        assert_eq!(
            statuses(&RULE, &env("value: true"), "1.17.38"),
            [Fail],
            "a YAML bool is not a valid env value"
        );
    }

    #[test]
    fn passes_with_go_true_values() {
        for v in ["\"true\"", "\"1\"", "\"t\"", "\"T\"", "\"TRUE\"", "\"True\""] {
            assert_eq!(statuses(&RULE, &env(&format!("value: {v}")), "1.17.38"), [Pass], "{v}");
        }
        let last_wins = gloo("", "env:\n- name: HEADER_SECRET_REF_NS_MATCHES_US\n  value: \"false\"\n- name: HEADER_SECRET_REF_NS_MATCHES_US\n  value: \"true\"\n");
        assert_eq!(statuses(&RULE, &last_wins, "1.22.1"), [Pass]);
    }

    #[test]
    fn not_applicable_before_1_15_or_without_gloo() {
        assert_eq!(statuses(&RULE, &gloo("", ""), "1.13.39"), [Na]);
        assert_eq!(statuses(&RULE, &env("value: \"true\""), "1.14.9"), [Na]);
        assert_eq!(statuses(&RULE, &env("value: \"true\""), "1.15.0"), [Pass]);
        assert_eq!(statuses(&RULE, &settings("gloo: {}"), "1.17.38"), [Na]);
    }
}

//! GLOO-013: advisory on transformation validation (performance versus safety).

use super::helpers::na_without;
use super::{Rule, Severity, Status};
use crate::parse::model::Model;
use crate::parse::yaml::Node;

pub(super) static RULE: Rule = Rule {
    id: "GLOO-013",
    title: "Transformation validation trade-off",
    severity: Severity::Info,
    source:
        "Gloo production guide (Latest) \"Transformations\": `disableTransformationValidation: \
        true # better performances but more risky`",
    why: "Validating transformation templates at admission costs control-plane CPU but catches \
        broken templates before they reach Envoy.",
    predicate: "Advisory only, never fails: reports Settings \
        `spec.gateway.validation.disableTransformationValidation` (absent = false, the safer \
        default), or that validation is off altogether. NA when no Settings is rendered.",
    fix_doc: "All versions: keep the default (`false`) in a hardened setup; set \
        `gateway.validation.disableTransformationValidation: true` only if control-plane CPU \
        matters more than catching bad transformations at admission.",
    fixes: &[],
    check,
};

fn check<'a>(m: &Model<'a>) -> Vec<super::Outcome<'a>> {
    let outcomes = super::helpers::each_settings(m, |spec| {
        if !spec.path("gateway.validation").is_some_and(Node::is_map) {
            return (
                Status::Advisory,
                "validation is off (no spec.gateway.validation): nothing is validated at admission"
                    .to_string(),
            );
        }
        let message = match spec.path("gateway.validation.disableTransformationValidation").and_then(Node::as_bool) {
            Some(true) => "disableTransformationValidation is true: transformations are not validated at admission (faster, riskier)",
            Some(false) => "disableTransformationValidation is false: transformations are validated (safer; keep it)",
            None => "disableTransformationValidation is absent (false): transformations are validated (safer; keep it)",
        };
        (Status::Advisory, message.to_string())
    });
    na_without(m, outcomes, "Settings")
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::testing::{outcomes_with_messages, settings, statuses, NOT_GLOO};
    use crate::rules::Status::*;

    #[test]
    fn always_advisory() {
        for v in ["true", "false", "\"true\""] {
            let s = settings(&format!(
                "gateway:\n  validation:\n    disableTransformationValidation: {v}"
            ));
            assert_eq!(statuses(&RULE, &s, "1.17.38"), [Advisory], "{v}");
        }
        let out = outcomes_with_messages(
            &RULE,
            &settings("gateway:\n  validation:\n    disableTransformationValidation: true"),
            "1.17.38",
        );
        assert!(out[0].2.contains("not validated"));
        let off = outcomes_with_messages(&RULE, &settings("gateway: {}"), "1.17.38");
        assert_eq!(off[0].0, Advisory);
        assert!(off[0].2.starts_with("validation is off"), "{}", off[0].2);
    }

    #[test]
    fn not_applicable_without_settings() {
        assert_eq!(statuses(&RULE, NOT_GLOO, "1.17.38"), [Na]);
    }
}

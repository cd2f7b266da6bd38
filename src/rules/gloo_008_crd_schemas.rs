//! GLOO-008: Gloo CRDs in the render carry structural OpenAPI schemas.

use super::helpers::{fail, pass};
use super::{Outcome, Rule, Severity, Status, Target};
use crate::parse::model::Model;
use crate::parse::yaml::Node;

pub(super) static RULE: Rule = Rule {
    id: "GLOO-008",
    title: "CRDs carry OpenAPI schemas",
    severity: Severity::Info,
    source: "Gloo production guide (Latest) \"OpenAPI schema validation on CRDs\"",
    why: "Structural schemas let the API server reject malformed Gloo resources before gloo sees \
        them.",
    predicate: "Only when CRDs are in the render (`check --include-crds`, which passes helm's \
        `--include-crds`; Gloo's charts keep them in `crds/`): every `CustomResourceDefinition` \
        whose name ends in `.solo.io` has, for each `spec.versions[]`, a non-empty \
        `schema.openAPIV3Schema.properties` (a v1beta1 CRD's shared \
        `spec.validation.openAPIV3Schema.properties` also counts). NA when no such CRD is \
        rendered.",
    fix_doc: "No Helm value changes CRDs: install them from the chart rather than hand-made \
        copies. The 1.13, 1.17 and 1.22 charts ship schemas for every Gloo CRD except \
        `ratelimitconfigs.ratelimit.solo.io`, whose schema is only `type: object` with \
        `x-kubernetes-preserve-unknown-fields: true` (FAIL; such resources are checked only by \
        the validation webhook, GLOO-007); suppress that finding if accepted. Schemas declare \
        enums as int-or-string and the API server prunes unknown fields silently, so a misspelt \
        option is dropped, not rejected.",
    fixes: &[],
    check,
};

fn has_properties(node: Option<&Node>) -> bool {
    node.is_some_and(|p| p.is_map() && p.is_present())
}

fn check<'a>(m: &Model<'a>) -> Vec<Outcome<'a>> {
    let mut outcomes: Vec<Outcome<'a>> = m
        .of_kind("CustomResourceDefinition")
        .filter(|crd| crd.name.ends_with(".solo.io"))
        .map(|crd| {
            let spec = crd.root.get("spec").unwrap_or(Node::null());
            let shared = has_properties(spec.path("validation.openAPIV3Schema.properties"));
            let versions = spec.get("versions").map(Node::items).unwrap_or_default();
            let (status, message) = if versions.is_empty() {
                if shared {
                    pass("spec.validation.openAPIV3Schema has properties")
                } else {
                    fail("no version has an OpenAPI schema")
                }
            } else {
                let open = versions.iter().any(|v| {
                    v.path("schema.openAPIV3Schema.x-kubernetes-preserve-unknown-fields")
                        .and_then(Node::as_bool)
                        == Some(true)
                });
                let missing: Vec<String> = versions
                    .iter()
                    .filter(|v| {
                        !shared && !has_properties(v.path("schema.openAPIV3Schema.properties"))
                    })
                    .map(|v| {
                        v.get("name")
                            .and_then(Node::scalar_text)
                            .unwrap_or_else(|| "(unnamed)".into())
                    })
                    .collect();
                if missing.is_empty() {
                    pass(format!("all {} version(s) have an OpenAPI schema", versions.len()))
                } else {
                    let why = if open {
                        " (x-kubernetes-preserve-unknown-fields: any content is accepted)"
                    } else {
                        ""
                    };
                    fail(format!(
                        "no schema.openAPIV3Schema.properties for version(s) {}{why}",
                        missing.join(", ")
                    ))
                }
            };
            Outcome::new(status, crd, Target::Chart, message)
        })
        .collect();
    if outcomes.is_empty() {
        if let Some(doc) = m.docs.first() {
            outcomes.push(Outcome::new(Status::Na, doc, Target::Chart, "no solo.io CustomResourceDefinition in the render (the chart's CRDs are rendered only with --include-crds)"));
        }
    }
    outcomes
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::testing::{settings, statuses};
    use crate::rules::Status::*;

    fn crd(name: &str, api: &str, spec: &str) -> String {
        format!("---\napiVersion: apiextensions.k8s.io/{api}\nkind: CustomResourceDefinition\nmetadata:\n  name: {name}\nspec:\n  group: gateway.solo.io\n{}", crate::rules::testing::indent(spec, 2))
    }

    const WITH: &str = "versions:\n- name: v1\n  schema:\n    openAPIV3Schema:\n      type: object\n      properties:\n        spec: {type: object}\n";
    const WITHOUT: &str = "versions:\n- name: v1\n  served: true\n";

    #[test]
    fn judges_every_version() {
        assert_eq!(
            statuses(&RULE, &crd("gateways.gateway.solo.io", "v1", WITH), "1.17.38"),
            [Pass]
        );
        assert_eq!(
            statuses(&RULE, &crd("gateways.gateway.solo.io", "v1", WITHOUT), "1.17.38"),
            [Fail]
        );
        // As the charts ship ratelimitconfigs.ratelimit.solo.io: a schema that accepts anything.
        let open = "versions:\n- name: v1alpha1\n  schema:\n    openAPIV3Schema:\n      type: object\n      x-kubernetes-preserve-unknown-fields: true\n";
        let out = crate::rules::testing::outcomes_with_messages(
            &RULE,
            &crd("ratelimitconfigs.ratelimit.solo.io", "v1", open),
            "1.17.38",
        );
        assert_eq!(out[0].0, Fail);
        assert!(out[0].2.contains("preserve-unknown-fields"), "{}", out[0].2);
        let mixed = format!("{WITH}- name: v2\n  schema:\n    openAPIV3Schema:\n      type: object\n      properties: {{}}\n");
        assert_eq!(
            statuses(&RULE, &crd("gateways.gateway.solo.io", "v1", &mixed), "1.17.38"),
            [Fail],
            "empty properties"
        );
    }

    #[test]
    fn v1beta1_shared_schema_counts() {
        let shared = format!("{WITHOUT}validation:\n  openAPIV3Schema:\n    properties:\n      spec: {{type: object}}\n");
        assert_eq!(
            statuses(&RULE, &crd("gateways.gateway.solo.io", "v1beta1", &shared), "1.13.39"),
            [Pass]
        );
        let no_versions = "version: v1\nvalidation:\n  openAPIV3Schema:\n    properties:\n      spec: {type: object}\n";
        assert_eq!(
            statuses(&RULE, &crd("gateways.gateway.solo.io", "v1beta1", no_versions), "1.13.39"),
            [Pass]
        );
        assert_eq!(
            statuses(
                &RULE,
                &crd("gateways.gateway.solo.io", "v1beta1", "version: v1\n"),
                "1.13.39"
            ),
            [Fail]
        );
    }

    #[test]
    fn not_applicable_without_solo_crds() {
        assert_eq!(statuses(&RULE, &settings("gateway: {}"), "1.17.38"), [Na]);
        assert_eq!(
            statuses(&RULE, &crd("certificates.cert-manager.io", "v1", WITHOUT), "1.17.38"),
            [Na]
        );
    }
}

//! VALUES-005: every field of a rendered custom resource is one its CRD keeps.
//!
//! Made by `check::check` from [`crate::check::schema::resources::check_resources`] (the CRDs of the
//! chart's `crds/`), at the values line the field came from, like VALUES-001.

use super::{Outcome, Rule, Severity};
use crate::parse::model::Model;

pub static RULE: Rule = Rule {
    id: "VALUES-005",
    title: "Every field of a rendered custom resource is one its CRD keeps",
    severity: Severity::Medium,
    source: "helm-harden, from Kubernetes' structural schemas and pruning of custom resources \
        (kubernetes.io: \"Specifying a structural schema\", \"Field pruning\") and the CRDs each \
        Gloo chart ships",
    why: "The values blocks the chart passes through as they are (`customHttpGateway`, \
        `gatewaySettings.options`, `settings.extensions`, any `kubeResourceOverride`) are not \
        checked by helm or by the values schema; a misspelled field there renders without error, \
        and the API server drops it when the Gateway or Settings is stored, so the setting does \
        nothing.",
    predicate: "Every custom resource of the render (embedded Gateways in ConfigMaps included) \
        whose group and kind have a CRD in the chart's `crds/` (its subcharts' too; for \
        `--manifests`, the CustomResourceDefinitions in the stream) is walked along its \
        version's structural schema, as the API server prunes it: a field that `properties` does \
        not name is pruned unless `x-kubernetes-preserve-unknown-fields` keeps it or \
        `additionalProperties` makes its parent a map; `apiVersion`, `kind` and `metadata` are \
        kept at the root and in embedded resources; `null` is pruned, never refused; \
        `allOf`/`anyOf`/`oneOf` keep nothing. Unlike plain JSON Schema, where a field not in \
        `properties` is allowed, here it is lost (or, with strict field validation, refused). \
        One FAIL per pruned field, at the values key it came from (the same key under the same \
        parents, from the end, below a pass-through block), else at its line in the render; the \
        message lists the fields of that object closest in spelling, and a one-click rename when \
        one is close.",
    fix_doc: "Rename the field to the one suggested, or move it to where the CRD has it (the \
        message lists the fields of that object). `rules VALUES-005` and the CRD in the chart's \
        `crds/` show the structure.",
    fixes: &[],
    check,
};

/// Nothing in the render by itself: see the module docs.
fn check<'a>(_: &Model<'a>) -> Vec<Outcome<'a>> {
    Vec::new()
}

//! VALUES-006: every value of a rendered custom resource is one its CRD accepts.
//!
//! Made by `check::check` from [`crate::check::schema::resources::check_resources`], like VALUES-005.

use super::{Outcome, Rule, Severity};
use crate::parse::model::Model;

pub static RULE: Rule = Rule {
    id: "VALUES-006",
    title: "Every value of a rendered custom resource is one its CRD accepts",
    severity: Severity::High,
    source: "helm-harden, from Kubernetes' validation of custom resources by their CRD's OpenAPI \
        schema and the CRDs each Gloo chart ships",
    why: "A string where the CRD wants an integer or a boolean (`\"8080\"`, `\"true\"` in a \
        `kubeResourceOverride`), or a value outside its enum or bounds, makes the API server \
        refuse the whole object: the Gateway or Settings is not applied, and with Gloo's \
        embedded Gateways the install's resource job fails.",
    predicate:
        "Along the same walk as VALUES-005, every value against its schema node: `type` (an \
        integer may be written `1e3`, a number may be an integer), `x-kubernetes-int-or-string` \
        (an integer or a string), `enum`, `minimum` and `maximum`. `pattern`, `format` and \
        lengths are not checked. One FAIL per value, at the values key it came from, else at its \
        line in the render; a quoted number or boolean gets the unquoted value as a one-click \
        fix.",
    fix_doc:
        "Write the value with the type the message names (`8080`, not `\"8080\"`; `true`, not \
        `\"true\"`), or one of the values it lists.",
    fixes: &[],
    check,
};

/// Nothing in the render by itself: see VALUES-005.
fn check<'a>(_: &Model<'a>) -> Vec<Outcome<'a>> {
    Vec::new()
}

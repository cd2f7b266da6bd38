//! K8S-001: the Envoy container's root filesystem is read-only.

use super::helpers::{each_envoy_container, fail, pass};
use super::{Fix, Rule, Severity};
use crate::parse::model::Model;
use crate::parse::yaml::Node;

pub(super) static RULE: Rule = Rule {
    id: "K8S-001",
    title: "Read-only root filesystem",
    severity: Severity::Medium,
    source: "Gloo production guide (Seed-000/001, Latest): \"Gloo's data plane (the gateway-proxy \
        pod) has ReadOnly file system\"",
    why: "A compromised Envoy cannot persist anything or drop tools on disk.",
    predicate: "Envoy container of every proxy: `securityContext.readOnlyRootFilesystem == true`. \
        Absent = false = FAIL.",
    fix_doc: "Keep the chart defaults. 1.17+: a custom \
        `gatewayProxies.<name>.podTemplate.glooContainerSecurityContext` replaces the whole \
        default context unless it sets `mergePolicy: helm-merge`; restate \
        `readOnlyRootFilesystem: true` there.",
    fixes: &[Fix::new(
        super::Versions::from(crate::parse::version::Version::new(1, 17, 0)),
        "{GP}.podTemplate.glooContainerSecurityContext",
        "{mergePolicy: helm-merge, readOnlyRootFilesystem: true}",
    )],
    check,
};

fn check<'a>(m: &Model<'a>) -> Vec<super::Outcome<'a>> {
    each_envoy_container(m, |_, c| {
        match c.path("securityContext.readOnlyRootFilesystem").and_then(Node::as_bool) {
            Some(true) => pass("readOnlyRootFilesystem is true"),
            Some(false) => fail("securityContext.readOnlyRootFilesystem is false"),
            None => fail("securityContext.readOnlyRootFilesystem is absent (false)"),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::testing::with_contexts;
    use crate::rules::Status::*;

    #[test]
    fn judges_the_envoy_container() {
        assert_eq!(with_contexts(&RULE, "", "readOnlyRootFilesystem: true"), [Pass]);
        assert_eq!(with_contexts(&RULE, "", "runAsUser: 10101"), [Fail]);
        assert_eq!(with_contexts(&RULE, "", ""), [Fail]);
    }
}

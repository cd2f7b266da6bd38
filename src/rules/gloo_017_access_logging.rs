//! GLOO-017: every Gateway writes an access log.

use super::common::access_log::access_log_entries;
use super::helpers::{each_gateway, fail, pass};
use super::{Fix, Rule, Severity};
use crate::parse::model::Model;

pub(super) static RULE: Rule = Rule {
    id: "GLOO-017",
    title: "Access logging on every Gateway",
    severity: Severity::Medium,
    source: "Gloo production guide (Latest) \"Access Logging\": \"consider enabling access \
        logging\"",
    why: "Without access logs there is no request-level evidence for incident response or security \
        review.",
    predicate: "Every Gateway (HTTP and TCP) has at least one entry in \
        `spec.options.accessLoggingService.accessLog`. Absent = FAIL. Listener-level \
        `spec.options.listenerAccessLoggingService` (1.17+) does not count. NA when no Gateway \
        is rendered.",
    fix_doc: "All versions: `gatewayProxies.<name>.gatewaySettings.accessLoggingService.accessLog: \
        [{fileSink: {path: /dev/stdout, stringFormat: \"...%RESPONSE_FLAGS%...\"}}]` (renders \
        into `spec.options.accessLoggingService` of both generated Gateways; keep \
        `%RESPONSE_FLAGS%`, GLOO-018). Do not also put `accessLoggingService` inside \
        `gatewaySettings.options`: the template would emit the key twice. gRPC access logging \
        needs a log server (`accessLogger.enabled` deploys Gloo's sample one but does not \
        configure the Gateways).",
    fixes: &[Fix::all(
        "{GP}.gatewaySettings.accessLoggingService",
        r#"{accessLog: [{fileSink: {path: /dev/stdout, stringFormat: "[%START_TIME%] \"%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%\" %RESPONSE_CODE% %RESPONSE_FLAGS% %BYTES_RECEIVED% %BYTES_SENT% %DURATION% \"%REQ(X-FORWARDED-FOR)%\" \"%REQ(USER-AGENT)%\" \"%REQ(X-REQUEST-ID)%\" \"%REQ(:AUTHORITY)%\" \"%UPSTREAM_HOST%\"\n"}}]}"#,
    ).unless_set_at("{GP}.gatewaySettings.options.accessLoggingService")],
    check,
};

fn check<'a>(m: &Model<'a>) -> Vec<super::Outcome<'a>> {
    each_gateway(m, |_, spec| match access_log_entries(spec).len() {
        0 => fail("spec.options.accessLoggingService.accessLog is absent or empty"),
        1 => pass("1 access log entry"),
        n => pass(format!("{n} access log entries")),
    })
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::testing::{gateways, settings, statuses, tcp_gateways};
    use crate::rules::Status::*;

    #[test]
    fn judges_every_gateway() {
        assert_eq!(statuses(&RULE, &gateways("", ""), "1.17.38"), [Fail, Fail]);
        let log = "accessLoggingService:\n  accessLog:\n  - fileSink:\n      path: /dev/stdout\n";
        assert_eq!(statuses(&RULE, &gateways("", log), "1.17.38"), [Pass, Pass]);
        assert_eq!(
            statuses(&RULE, &gateways("", "accessLoggingService:\n  accessLog: []\n"), "1.17.38"),
            [Fail, Fail]
        );
        let listener =
            "listenerAccessLoggingService:\n  accessLog:\n  - fileSink: {path: /dev/stdout}\n";
        assert_eq!(
            statuses(&RULE, &gateways("", listener), "1.17.38"),
            [Fail, Fail],
            "listener-level logs do not count"
        );
    }

    #[test]
    fn tcp_gateways_count_too() {
        let log = "accessLoggingService:\n  accessLog:\n  - fileSink: {path: /dev/stdout}\n";
        let tcp = tcp_gateways(log);
        assert_eq!(statuses(&RULE, &tcp, "1.17.38"), [Pass, Pass]);
    }

    #[test]
    fn not_applicable_without_gateways() {
        assert_eq!(statuses(&RULE, &settings("gloo: {}"), "1.17.38"), [Na]);
    }
}

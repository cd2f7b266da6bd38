//! GLOO-018: access logs keep Envoy's %RESPONSE_FLAGS%.

use super::common::access_log::access_log_entries;
use super::helpers::{each_gateway, fail, na, pass, Verdict};
use super::{Fix, Rule, Severity};
use crate::parse::model::Model;
use crate::parse::yaml::Node;

pub(super) static RULE: Rule = Rule {
    id: "GLOO-018",
    title: "Access log keeps %RESPONSE_FLAGS%",
    severity: Severity::Low,
    source: "Gloo production guide (Latest) \"Access Logging\": \"Make sure you have the \
        %RESPONSE_FLAGS% item in the log pattern\"",
    why: "Response flags (UH, UF, URX, ...) are how Envoy-side failures are told apart from \
        upstream errors.",
    predicate: "For every access-log entry of every Gateway: `grpcService` = PASS (structured \
        entries include the flags); `fileSink.stringFormat`, when non-empty, must contain \
        `%RESPONSE_FLAGS` (`%RESPONSE_FLAGS_LONG%` also counts); `fileSink.jsonFormat` must \
        contain it in some value; a `fileSink` with neither = PASS (Envoy's default format \
        includes it); any other sink must contain it somewhere. A Gateway fails when any entry \
        fails. NA for a Gateway without access log (GLOO-017 reports that).",
    fix_doc: "All versions: include `%RESPONSE_FLAGS%` in the `stringFormat` (or a `jsonFormat` \
        value) of every entry of \
        `gatewayProxies.<name>.gatewaySettings.accessLoggingService.accessLog`, or use a \
        `fileSink` without a format (Envoy's default format has it).",
    fixes: &[Fix::all(
        "{GP}.gatewaySettings.accessLoggingService",
        r#"{accessLog: [{fileSink: {path: /dev/stdout, stringFormat: "[%START_TIME%] \"%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%\" %RESPONSE_CODE% %RESPONSE_FLAGS% %BYTES_RECEIVED% %BYTES_SENT% %DURATION% \"%REQ(X-FORWARDED-FOR)%\" \"%REQ(USER-AGENT)%\" \"%REQ(X-REQUEST-ID)%\" \"%REQ(:AUTHORITY)%\" \"%UPSTREAM_HOST%\"\n"}}]}"#,
    ).unless_set_at("{GP}.gatewaySettings.options.accessLoggingService")],
    check,
};

const FLAGS: &str = "%RESPONSE_FLAGS";

/// Whether any string in `node` (values only, not keys) contains the response-flags operator.
fn mentions_flags(node: &Node) -> bool {
    let mut found = false;
    node.walk(&mut |n| found |= n.as_str().is_some_and(|s| s.contains(FLAGS)));
    found
}

/// Verdict for one access-log entry (`n` is its 1-based position).
fn judge_entry(entry: &Node, n: usize) -> Verdict {
    if entry.get("grpcService").is_some_and(Node::is_present) {
        return pass(format!("entry {n}: gRPC access log (structured, includes flags)"));
    }
    if let Some(sink) = entry.get("fileSink").filter(|s| !s.is_null()) {
        let string_format =
            sink.get("stringFormat").and_then(Node::as_str).filter(|s| !s.is_empty());
        if let Some(format) = string_format {
            return if format.contains(FLAGS) {
                pass(format!("entry {n}: stringFormat has %RESPONSE_FLAGS%"))
            } else {
                fail(format!("entry {n}: fileSink.stringFormat lacks %RESPONSE_FLAGS%"))
            };
        }
        if let Some(json) = sink.get("jsonFormat").filter(|j| !j.is_null()) {
            return if mentions_flags(json) {
                pass(format!("entry {n}: jsonFormat has %RESPONSE_FLAGS%"))
            } else {
                fail(format!("entry {n}: fileSink.jsonFormat has no value with %RESPONSE_FLAGS%"))
            };
        }
        return pass(format!(
            "entry {n}: fileSink without format (Envoy's default format includes %RESPONSE_FLAGS%)"
        ));
    }
    // Any other sink (OpenTelemetry, ...): the operator must appear somewhere in it.
    let mut sinks = entry.entries().iter().filter(|e| e.key != "filter");
    if let Some(sink) = sinks.clone().find(|e| mentions_flags(&e.value)) {
        pass(format!("entry {n}: {} mentions %RESPONSE_FLAGS%", sink.key))
    } else {
        let kind = sinks.next().map_or("entry without sink", |e| e.key.as_str());
        fail(format!("entry {n}: {kind} does not mention %RESPONSE_FLAGS%"))
    }
}

fn check<'a>(m: &Model<'a>) -> Vec<super::Outcome<'a>> {
    each_gateway(m, |_, spec| {
        let entries = access_log_entries(spec);
        if entries.is_empty() {
            return na("no access log on this Gateway (see GLOO-017)");
        }
        let verdicts: Vec<Verdict> =
            entries.iter().enumerate().map(|(i, e)| judge_entry(e, i + 1)).collect();
        let failures: Vec<&str> =
            verdicts.iter().filter(|v| v.0 == super::Status::Fail).map(|v| v.1.as_str()).collect();
        if failures.is_empty() {
            pass(verdicts.into_iter().map(|v| v.1).collect::<Vec<_>>().join("; "))
        } else {
            fail(failures.join("; "))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::rules::testing::{gateways, indent, settings, statuses};
    use crate::rules::Status::*;

    fn logs(entries: &str) -> String {
        gateways("", &format!("accessLoggingService:\n  accessLog:\n{}", indent(entries, 2)))
    }

    #[test]
    fn string_formats() {
        let with = "- fileSink:\n    path: /dev/stdout\n    stringFormat: \"%START_TIME% %RESPONSE_CODE% %RESPONSE_FLAGS%\\n\"\n";
        assert_eq!(statuses(&RULE, &logs(with), "1.17.38"), [Pass, Pass]);
        let long = "- fileSink:\n    path: /dev/stdout\n    stringFormat: \"%RESPONSE_CODE% %RESPONSE_FLAGS_LONG%\"\n";
        assert_eq!(statuses(&RULE, &logs(long), "1.17.38"), [Pass, Pass]);
        let without = "- fileSink:\n    path: /dev/stdout\n    stringFormat: \"%START_TIME% %RESPONSE_CODE%\\n\"\n";
        assert_eq!(statuses(&RULE, &logs(without), "1.17.38"), [Fail, Fail]);
        let empty = "- fileSink:\n    path: /dev/stdout\n    stringFormat: \"\"\n";
        assert_eq!(
            statuses(&RULE, &logs(empty), "1.17.38"),
            [Pass, Pass],
            "empty = Envoy default format"
        );
        let bare = "- fileSink:\n    path: /dev/stdout\n";
        assert_eq!(statuses(&RULE, &logs(bare), "1.17.38"), [Pass, Pass]);
    }

    #[test]
    fn json_formats_and_other_sinks() {
        let json = "- fileSink:\n    path: /dev/stdout\n    jsonFormat:\n      code: \"%RESPONSE_CODE%\"\n      flags: \"%RESPONSE_FLAGS%\"\n";
        assert_eq!(statuses(&RULE, &logs(json), "1.17.38"), [Pass, Pass]);
        let json_without = "- fileSink:\n    path: /dev/stdout\n    jsonFormat:\n      code: \"%RESPONSE_CODE%\"\n      \"%RESPONSE_FLAGS%\": x\n";
        assert_eq!(
            statuses(&RULE, &logs(json_without), "1.17.38"),
            [Fail, Fail],
            "keys are not values"
        );
        let grpc =
            "- grpcService:\n    logName: example\n    staticClusterName: access_log_cluster\n";
        assert_eq!(statuses(&RULE, &logs(grpc), "1.17.38"), [Pass, Pass]);
        let otel = "- openTelemetryService:\n    collector: {endpoint: x}\n";
        assert_eq!(statuses(&RULE, &logs(otel), "1.17.38"), [Fail, Fail]);
        let otel_with = "- openTelemetryService:\n    body: \"%RESPONSE_FLAGS%\"\n";
        assert_eq!(statuses(&RULE, &logs(otel_with), "1.17.38"), [Pass, Pass]);
    }

    #[test]
    fn one_bad_entry_fails_the_gateway() {
        let mixed = "- grpcService: {logName: x}\n- fileSink:\n    path: /dev/stdout\n    stringFormat: \"%RESPONSE_CODE%\"\n";
        assert_eq!(statuses(&RULE, &logs(mixed), "1.17.38"), [Fail, Fail]);
    }

    #[test]
    fn not_applicable_without_access_logs() {
        assert_eq!(statuses(&RULE, &gateways("", ""), "1.17.38"), [Na, Na]);
        assert_eq!(statuses(&RULE, &settings("gloo: {}"), "1.17.38"), [Na]);
    }
}

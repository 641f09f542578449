//! The `/docs` page: the operation table rendered server-side as one self-contained HTML page
//! (inline CSS, no scripts, nothing fetched from elsewhere, so it works offline).

use std::fmt::Write;

use serde_json::Value;

use super::{
    document::errors_by_status,
    model::{Answer, Operation},
    operations::{OPERATIONS, RESOURCES},
};

const STYLE: &str = "body{font:15px/1.5 system-ui,sans-serif;margin:0 auto;max-width:980px;\
padding:1em 2em;color:#222}h1{margin-bottom:0}h2{border-bottom:2px solid #ddd;margin-top:2em}\
.op{border:1px solid #ddd;border-radius:6px;margin:1em 0;padding:.6em 1em}\
.op h3{margin:.2em 0;font-size:1.05em}.m{display:inline-block;min-width:4.5em;font:bold 13px monospace;\
color:#fff;border-radius:3px;padding:2px 6px;margin-right:.5em;text-align:center}\
.get{background:#2b7bb9}.post{background:#2f9e44}.put{background:#d9822b}.patch{background:#8e44ad}\
.delete{background:#c0392b}.meta{color:#555;font-size:.9em}pre{background:#f6f8fa;padding:.6em;\
overflow:auto;font-size:13px}table{border-collapse:collapse;font-size:.9em}td,th{border:1px solid #ddd;\
padding:2px 8px;text-align:left;vertical-align:top}code{background:#f0f0f0;padding:0 3px}nav a{margin-right:1em}";

/// The page for `document` (built by [`super::document::build`] from the same table).
pub fn render(document: &Value) -> String {
    let mut html = String::new();
    let title = text(&document["info"]["title"]);
    let _ = write!(
        html,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{title}</title><style>{STYLE}</style></head><body>\
         <h1>{title}</h1><p class=\"meta\">Version {version} · OpenAPI {openapi} \
         document: <a href=\"/openapi.json\">/openapi.json</a></p><p>{intro}</p><nav>",
        title = escape(&title),
        version = escape(&text(&document["info"]["version"])),
        openapi = escape(&text(&document["openapi"])),
        intro = inline(&text(&document["info"]["description"])).replace("\n\n", "</p><p>"),
    );
    for (resource, _) in RESOURCES {
        let _ = write!(html, "<a href=\"#{resource}\">{resource}</a>");
    }
    html.push_str("<a href=\"#schemas\">schemas</a></nav>");
    for (resource, about) in RESOURCES {
        let _ = write!(
            html,
            "<h2 id=\"{resource}\">{resource}</h2><p>{}</p>",
            inline(about)
        );
        for operation in OPERATIONS.iter().filter(|op| op.resource == *resource) {
            render_operation(&mut html, operation, document);
        }
    }
    html.push_str("<h2 id=\"schemas\">Schemas</h2>");
    if let Some(schemas) = document["components"]["schemas"].as_object() {
        for (name, schema) in schemas {
            let _ = write!(
                html,
                "<h3 id=\"schema-{name}\">{name}</h3><pre>{}</pre>",
                schema_html(schema),
                name = escape(name),
            );
        }
    }
    html.push_str("</body></html>");
    html
}

fn render_operation(html: &mut String, operation: &Operation, document: &Value) {
    let method = operation.method.as_str();
    let _ = write!(
        html,
        "<div class=\"op\"><h3><span class=\"m {method}\">{upper}</span><code>{path}</code> \
         {summary}</h3><p class=\"meta\">Role: <b>{role}</b>{idempotent}{consistent}</p>",
        upper = method.to_uppercase(),
        path = escape(operation.path),
        summary = escape(operation.summary),
        role = operation.access.label(),
        idempotent = if operation.idempotent {
            " · honours <code>Idempotency-Key</code>"
        } else {
            ""
        },
        consistent = if operation.consistency {
            " · honours <code>X-Consistency-Token</code>"
        } else {
            ""
        },
    );
    if !operation.description.is_empty() {
        let _ = write!(html, "<p>{}</p>", inline(operation.description));
    }
    let request = &document["paths"][operation.path][method]["requestBody"]["content"]["application/json"]
        ["schema"];
    if let Some(name) = request["$ref"].as_str().and_then(|r| r.rsplit('/').next()) {
        let schema = &document["components"]["schemas"][name];
        let _ = write!(
            html,
            "<p>Body: <a href=\"#schema-{name}\"><code>{name}</code></a></p><pre>{}</pre>",
            schema_html(schema),
            name = escape(name),
        );
    }
    let _ = write!(html, "<p>Success: {}</p>", success(operation.answer));
    let errors = operation.errors();
    if !errors.is_empty() {
        html.push_str("<table><tr><th>Status</th><th>Codes</th></tr>");
        for (status, codes) in errors_by_status(&errors) {
            let _ = write!(html, "<tr><td>{status}</td><td>");
            for code in codes {
                let _ = write!(
                    html,
                    "<code>{}</code> {}<br>",
                    escape(code.code),
                    inline(code.meaning)
                );
            }
            html.push_str("</td></tr>");
        }
        html.push_str("</table>");
    }
    html.push_str("</div>");
}

fn success(answer: Answer) -> String {
    match answer {
        Answer::Command { extra: "" } => {
            "<b>200</b> accepted (command id, stream, version, consistency token) · <b>202</b> queued"
                .into()
        }
        Answer::Command { extra } => format!(
            "<b>200</b> accepted (command id, stream, version, consistency token, and {}) · \
             <b>202</b> queued",
            inline(extra)
        ),
        Answer::CommandWithTokens { status } => {
            format!("<b>{status}</b> accepted, with a fresh token pair · <b>202</b> queued")
        }
        Answer::Tokens => "<b>200</b> a fresh token pair".into(),
        Answer::NoContent => "<b>204</b> no body".into(),
        Answer::Text => "<b>200</b> plain text".into(),
        Answer::Readiness => "<b>200</b> ready · <b>503</b> unready (each check named)".into(),
        Answer::OpenApi => "<b>200</b> the OpenAPI document".into(),
        Answer::Html => "<b>200</b> this page".into(),
    }
}

fn text(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_string()
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

/// A schema pretty-printed, with each `$ref` linking to the referenced schema on the page.
fn schema_html(schema: &Value) -> String {
    const PREFIX: &str = "#/components/schemas/";
    let escaped = escape(&pretty(schema));
    let mut parts = escaped.split(PREFIX);
    let mut out = parts.next().unwrap_or_default().to_string();
    for part in parts {
        // The name runs up to the escaped closing quote.
        let end = part.find('&').unwrap_or(part.len());
        let (name, rest) = part.split_at(end);
        let _ = write!(out, "<a href=\"#schema-{name}\">{PREFIX}{name}</a>{rest}");
    }
    out
}

/// Escapes text for HTML.
pub fn escape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

/// Escapes, then renders `code` spans and **bold** the way the descriptions use them.
fn inline(raw: &str) -> String {
    let mut out = String::new();
    for (index, part) in escape(raw).split('`').enumerate() {
        if index % 2 == 1 {
            let _ = write!(out, "<code>{part}</code>");
        } else {
            for (bold, piece) in part.split("**").enumerate() {
                if bold % 2 == 1 {
                    let _ = write!(out, "<b>{piece}</b>");
                } else {
                    out.push_str(piece);
                }
            }
        }
    }
    out
}

//! The passes over the generated OpenAPI JSON that [`super::document::document`] applies:
//! nullable optionals, standard formats, declared patterns, catalogue enums and the limits
//! every operation shares.

/// poem-openapi names a `chrono::NaiveDate` `format: naive-date`, which no client or validator
/// knows (so any string passes for one); JSON Schema's own `date` is the same RFC 3339
/// `full-date`.
pub(super) fn standard_formats(node: &mut serde_json::Value) {
    match node {
        serde_json::Value::Object(map) => {
            if map.get("format").and_then(|f| f.as_str()) == Some("naive-date") {
                map.insert("format".into(), serde_json::json!("date"));
            }
            for child in map.values_mut() {
                standard_formats(child);
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(standard_formats),
        _ => {}
    }
}

/// Adds `pattern` to a string property (to the string inside a nullable `allOf`, to the items
/// of an array).
pub(super) fn declare_pattern(property: &mut serde_json::Value, pattern: &str) {
    if property.get("type").and_then(|t| t.as_str()) == Some("string") {
        property["pattern"] = serde_json::json!(pattern);
    } else if let Some(items) = property.get_mut("items") {
        declare_pattern(items, pattern);
    } else if let Some(all) = property.get_mut("allOf").and_then(|a| a.as_array_mut()) {
        all.iter_mut().for_each(|p| declare_pattern(p, pattern));
    }
}

/// Strings whose values come from the catalogue of manifests (so no literal in a DTO can list
/// them) are enums in the document: a permission name wherever `permissions` lists them, and
/// an attachment's `resource_type`.
pub(super) fn enumerate_catalogue_values(name: &str, schema: &mut serde_json::Value) {
    let permissions: Vec<&str> = crate::domains::CATALOG
        .permissions()
        .map(|p| p.name)
        .collect();
    enumerate(schema, "permissions", &permissions);
    if name.starts_with("Attachment") {
        enumerate(schema, "resource_type", &attachment_owners());
    }
}

pub(super) fn attachment_owners() -> Vec<&'static str> {
    crate::domains::CATALOG
        .attachment_owners()
        .map(|o| o.resource_type)
        .collect()
}

/// Gives every string schema of a property (or parameter) called `field` under `node` the enum
/// `values` (with `null` where the property is nullable); for an array, its items.
pub(super) fn enumerate(node: &mut serde_json::Value, field: &str, values: &[&str]) {
    fn strings(schema: &mut serde_json::Value, values: &[&str]) {
        match schema.get("type").and_then(|t| t.as_str()) {
            Some("string") => {
                let mut list: Vec<serde_json::Value> =
                    values.iter().map(|v| serde_json::json!(v)).collect();
                if schema.get("nullable") == Some(&serde_json::Value::Bool(true)) {
                    list.push(serde_json::Value::Null);
                }
                schema["enum"] = serde_json::Value::Array(list);
            }
            Some("array") => {
                if let Some(items) = schema.get_mut("items") {
                    strings(items, values);
                }
            }
            _ => {
                if let Some(all) = schema.get_mut("allOf").and_then(|a| a.as_array_mut()) {
                    for s in all {
                        strings(s, values);
                    }
                }
            }
        }
    }
    match node {
        serde_json::Value::Object(map) => {
            if let Some(prop) = map.get_mut("properties").and_then(|p| p.get_mut(field)) {
                strings(prop, values);
            }
            if map.get("name").and_then(|n| n.as_str()) == Some(field)
                && let Some(schema) = map.get_mut("schema")
            {
                strings(schema, values);
            }
            for (key, child) in map.iter_mut() {
                if key != "properties" {
                    enumerate(child, field, values);
                }
            }
        }
        serde_json::Value::Array(items) => {
            for child in items {
                enumerate(child, field, values);
            }
        }
        _ => {}
    }
}

/// What every operation with a body shares but no handler declares: it also answers `413
/// payload-too-large` and `415 unsupported-media-type` (`http::body`, the framework). (`limit`
/// declares its own range: `kernel::page::Limit`.)
pub(super) fn declare_shared_limits(op: &mut serde_json::Value) {
    if op.get("requestBody").is_none() {
        return;
    }
    let Some(responses) = op.get_mut("responses").and_then(|r| r.as_object_mut()) else {
        return;
    };
    let problem = serde_json::json!({"application/problem+json": {
        "schema": {"$ref": "#/components/schemas/Problem"}}});
    for (status, description) in [
        (
            "413",
            "The body exceeds `server.body_limit_bytes` (`payload-too-large`)",
        ),
        (
            "415",
            "The body's Content-Type is not the operation's (`unsupported-media-type`)",
        ),
    ] {
        responses
            .entry(status)
            .or_insert_with(|| serde_json::json!({"description": description, "content": problem}));
    }
}

/// poem-openapi leaves an `Option` field out of `required` but does not mark it `nullable`, yet
/// it writes `None` as `null` and reads `null` as `None`: a typed client generated from the
/// document would reject real responses. Every property that is not required is nullable.
pub(super) fn optional_is_nullable(schema: &mut serde_json::Value) {
    let required: Vec<String> = schema
        .get("required")
        .and_then(|r| r.as_array())
        .map(|r| {
            r.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let Some(props) = schema.get_mut("properties").and_then(|p| p.as_object_mut()) else {
        return;
    };
    for (name, prop) in props.iter_mut() {
        if required.contains(name) {
            continue;
        }
        match prop.as_object_mut() {
            // A `$ref` takes no siblings in OpenAPI 3.0: wrap it.
            Some(p) if p.contains_key("$ref") => {
                *prop = serde_json::json!({"allOf": [prop.clone()], "nullable": true});
            }
            Some(p) => {
                p.insert("nullable".into(), serde_json::Value::Bool(true));
            }
            None => {}
        }
    }
}

//! [`document`]: the OpenAPI document poem-openapi generates, patched where it cannot say what
//! the service does. Each pass is in `schema`; the patterns it declares are in `patterns`.

use super::patterns::CHECKED_PATTERNS;
use super::schema::{
    attachment_owners, declare_pattern, declare_shared_limits, enumerate,
    enumerate_catalogue_values, optional_is_nullable, standard_formats,
};
use crate::tenancy::is_tenant_scoped;

pub(super) fn document(generated: &str) -> String {
    let Ok(mut spec) = serde_json::from_str::<serde_json::Value>(generated) else {
        return generated.to_owned();
    };
    if let Some(schemas) = spec
        .pointer_mut("/components/schemas")
        .and_then(|s| s.as_object_mut())
    {
        for schema in schemas.values_mut() {
            optional_is_nullable(schema);
        }
        for (name, schema) in schemas.iter_mut() {
            enumerate_catalogue_values(name, schema);
        }
        // A setting's value is any JSON but null (`DELETE` removes a setting): what `{}` says
        // minus null, in OpenAPI 3.0 terms (no `type: null` to exclude).
        for name in ["SettingCreate", "SettingPut"] {
            if let Some(value) = schemas
                .get_mut(name)
                .and_then(|s| s.pointer_mut("/properties/value"))
                && let Some(v) = value.as_object_mut()
            {
                v.insert(
                    "anyOf".into(),
                    serde_json::json!([
                        {"type": "string"}, {"type": "number"}, {"type": "boolean"},
                        {"type": "object"}, {"type": "array", "items": {}}
                    ]),
                );
            }
        }
        for (name, property, pattern) in CHECKED_PATTERNS {
            if let Some(p) = schemas
                .get_mut(*name)
                .and_then(|s| s.pointer_mut(&format!("/properties/{property}")))
            {
                declare_pattern(p, pattern);
            }
        }
    }
    if let Some(paths) = spec.get_mut("paths").and_then(|p| p.as_object_mut()) {
        for op in paths
            .values_mut()
            .filter_map(|i| i.as_object_mut())
            .flat_map(|o| o.values_mut())
        {
            declare_shared_limits(op);
        }
        for (path, item) in paths.iter_mut() {
            if path.starts_with("/api/v1/tools/attachments") {
                enumerate(item, "resource_type", &attachment_owners());
            }
        }
        for (path, item) in paths.iter_mut() {
            if !is_tenant_scoped(path) {
                continue;
            }
            for op in item
                .as_object_mut()
                .into_iter()
                .flat_map(|o| o.values_mut())
            {
                let header = serde_json::json!({
                    "name": "X-Tenant-ID",
                    "in": "header",
                    "required": false,
                    "description": "The tenant: its slug or UUID. Optional when calling `<slug>.<base_domain>`; \
                                    without either the answer is `400 tenant-required`.",
                    "schema": {"type": "string"},
                    "example": "alpine-flight",
                });
                match op.get_mut("parameters").and_then(|p| p.as_array_mut()) {
                    Some(params) => params.insert(0, header),
                    None => {
                        op["parameters"] = serde_json::json!([header]);
                    }
                }
            }
        }
    }
    standard_formats(&mut spec);
    // Only a login locks an account (docs/identity.md, docs/platform.md).
    for path in ["/api/v1/auth/login", "/api/v1/platform/auth/login"] {
        if let Some(responses) = spec
            .pointer_mut(&format!(
                "/paths/{}/post/responses",
                path.replace('/', "~1")
            ))
            .and_then(|r| r.as_object_mut())
        {
            responses.insert(
                "423".into(),
                serde_json::json!({
                    "description": "Too many failed logins (`account-locked`); retry after \
                                    `Retry-After` seconds",
                    "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
                    "headers": {"Retry-After": {
                        "description": "Seconds to wait before retrying.",
                        "required": true,
                        "schema": {"type": "integer", "format": "int64"}
                    }}
                }),
            );
        }
    }
    // An upload takes the parts it names and no other (`tools::attachments` refuses the rest).
    if let Some(schema) = spec.pointer_mut(
        "/paths/~1api~1v1~1tools~1attachments/post/requestBody/content/multipart~1form-data/schema",
    ) && schema.get("properties").is_some()
    {
        schema["additionalProperties"] = serde_json::json!(false);
    }
    // An attachment's content goes out with the type it was uploaded with.
    if let Some(content) = spec.pointer_mut(
        "/paths/~1api~1v1~1tools~1attachments~1{id}~1content/get/responses/200/content",
    ) {
        *content = serde_json::json!({"*/*": {"schema": {"type": "string", "format": "binary"}}});
    }
    serde_json::to_string_pretty(&spec).unwrap_or_else(|_| generated.to_owned())
}

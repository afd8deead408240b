//! Typed ids (STYLE rule 6): newtypes over UUID for the ids that travel between domains and sit
//! side by side in one record (a booking names an aircraft, an instructor and a pilot; a meter
//! reading an aircraft, a booking and a user), so the compiler refuses one passed for another.
//! On the wire and in the database each is exactly a UUID: the OpenAPI schema is `string/uuid`
//! (poem-openapi's `NewType`), JSON is the bare string (`serde(transparent)`) and SQL binds and
//! decodes `uuid` (`sqlx(transparent)`).

/// Declares a typed id: `typed_id!(AircraftId);`. (No doc comment on the struct: poem-openapi
/// would turn it into a `title` on every field of this type; the field documents itself.)
#[macro_export]
macro_rules! typed_id {
    ($name:ident) => {
        #[derive(
            Debug,
            Clone,
            Copy,
            PartialEq,
            Eq,
            Hash,
            PartialOrd,
            Ord,
            serde::Serialize,
            serde::Deserialize,
            sqlx::Type,
            poem_openapi::NewType,
        )]
        #[serde(transparent)]
        #[sqlx(transparent)]
        pub struct $name(pub uuid::Uuid);

        impl $name {
            /// A new time-ordered id (UUIDv7).
            pub fn new() -> Self {
                Self(uuid::Uuid::now_v7())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl From<uuid::Uuid> for $name {
            fn from(id: uuid::Uuid) -> Self {
                Self(id)
            }
        }

        impl From<$name> for uuid::Uuid {
            fn from(id: $name) -> Self {
                id.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

// A user's id (a person of the tenant: a pilot, an instructor, whoever recorded something).
typed_id!(UserId);
// An aircraft's id.
typed_id!(AircraftId);
// A booking's id.
typed_id!(BookingId);

#[cfg(test)]
mod tests {
    use poem_openapi::types::{ToJSON, Type};

    use super::*;

    #[test]
    fn a_typed_id_is_a_uuid_on_the_wire() {
        let id = AircraftId::new();
        assert_eq!(
            serde_json::to_value(id).expect("json"),
            serde_json::Value::String(id.0.to_string())
        );
        assert_eq!(
            id.to_json(),
            Some(serde_json::Value::String(id.to_string()))
        );
        assert_eq!(
            serde_json::to_value(AircraftId::schema_ref()).expect("schema"),
            serde_json::to_value(uuid::Uuid::schema_ref()).expect("schema")
        );
        let back: AircraftId = serde_json::from_value(serde_json::json!(id.0)).expect("parse");
        assert_eq!(back, id);
    }
}

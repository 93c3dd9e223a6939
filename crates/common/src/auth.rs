//! JWT claims and roles (SPEC §2).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Customer,
    Agent,
    Admin,
    Service,
}

impl Role {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "customer" => Some(Self::Customer),
            "agent" => Some(Self::Agent),
            "admin" => Some(Self::Admin),
            "service" => Some(Self::Service),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Customer => "customer",
            Self::Agent => "agent",
            Self::Admin => "admin",
            Self::Service => "service",
        }
    }
}

/// The claims every token carries. Unknown roles are dropped rather than rejected so that a
/// newer issuer does not lock older services out.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    #[serde(deserialize_with = "known_roles")]
    pub roles: Vec<Role>,
    pub exp: i64,
    pub iat: i64,
    pub iss: String,
    pub aud: Audience,
}

/// The `aud` claim: one audience (a string) or several (an array), as RFC 7519 allows and
/// identity providers issue both. One audience is written back as a string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Audience(pub Vec<String>);

impl Audience {
    pub fn one(aud: impl Into<String>) -> Self {
        Self(vec![aud.into()])
    }

    pub fn contains(&self, aud: &str) -> bool {
        self.0.iter().any(|a| a == aud)
    }
}

impl Serialize for Audience {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0.as_slice() {
            [one] => s.serialize_str(one),
            many => many.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for Audience {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum OneOrMany {
            One(String),
            Many(Vec<String>),
        }
        Ok(match OneOrMany::deserialize(d)? {
            OneOrMany::One(a) => Self(vec![a]),
            OneOrMany::Many(a) => Self(a),
        })
    }
}

fn known_roles<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<Role>, D::Error> {
    let raw: Vec<String> = Vec::deserialize(d)?;
    Ok(raw.iter().filter_map(|r| Role::parse(r)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_audience_is_a_string_or_an_array() {
        let one: Audience = serde_json::from_str(r#""customer-id""#).unwrap();
        let many: Audience = serde_json::from_str(r#"["other", "customer-id"]"#).unwrap();
        assert!(one.contains("customer-id") && many.contains("customer-id"));
        assert!(!many.contains("nobody"));
        assert_eq!(serde_json::to_string(&one).unwrap(), r#""customer-id""#);
    }
}

//! Shared types of the Customer ID System: what every service and the gateway agree on.
//!
//! No database, no HTTP server: only the shapes on the wire (success envelope, problem+json
//! body, error-code catalog with Arabic and English texts), the request language, identifiers,
//! pagination and the JWT claims.

pub mod auth;
pub mod contracts;
pub mod envelope;
pub mod error;
pub mod ids;
pub mod locale;
pub mod page;
pub mod text;
pub mod time;

pub use auth::{Claims, Role};
pub use envelope::{Envelope, PageInfo};
pub use error::{ErrorCode, FieldError, FieldIssue, Problem};
pub use ids::CustomerId;
pub use locale::{Locale, Localized};
pub use page::{Cursor, PageRequest};

/// A closed set of values stored as text (status and type columns): the enum, its text form
/// both ways, and the conversions diesel's `deserialize_as = String` / `serialize_as =
/// String` use, so rows carry the enum and never a free string.
#[macro_export]
macro_rules! text_enum {
    ($(#[$meta:meta])* $vis:vis enum $name:ident {
        $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)?
    }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        $vis enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            pub fn parse(text: &str) -> Option<Self> {
                match text {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::convert::TryFrom<String> for $name {
            type Error = String;
            fn try_from(text: String) -> Result<Self, String> {
                Self::parse(&text)
                    .ok_or_else(|| format!("unknown {} `{}`", stringify!($name), text))
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.as_str().to_owned()
            }
        }
    };
}

#[cfg(test)]
mod text_enum_tests {
    text_enum! {
        enum Colour { Red = "red", DarkBlue = "dark_blue" }
    }

    #[test]
    fn text_enums_round_trip_and_refuse_unknown_text() {
        for c in Colour::ALL {
            assert_eq!(Colour::try_from(String::from(*c)), Ok(*c));
        }
        assert_eq!(Colour::DarkBlue.to_string(), "dark_blue");
        assert!(Colour::try_from("green".to_owned()).is_err());
    }
}

//! The error type of the geodesy crate.

/// Why a geodesy computation refused its input.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A value was NaN or infinite.
    #[error("{name} must be a finite number")]
    NotFinite {
        /// The name of the offending input.
        name: String,
    },
    /// A value was outside its allowed range.
    #[error("{name} = {value} is outside {range}")]
    OutOfRange {
        /// The name of the offending input.
        name: String,
        /// The value given.
        value: f64,
        /// The allowed range, for the message.
        range: &'static str,
    },
}

//! Units of measurement and their exact conversions.
//!
//! Internally every quantity is in the base unit of its dimension: litres for volume, metres
//! for distance, seconds for time. Inputs in US gallons, cubic inches, miles, … are converted
//! with the exact definitions below, by named functions, never by bare factors in the code.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Litres in one US gallon: 231 in³ × 16.387064 cm³/in³ = 3.785411784 L, exact.
/// (NIST Handbook 44 Appendix C; NIST SP 811 Appendix B.)
pub const LITRES_PER_US_GALLON: f64 = 3.785_411_784;

/// Litres in one cubic inch: 2.54³ cm³ = 16.387064 cm³, exact (NIST SP 811 Appendix B).
pub const LITRES_PER_CUBIC_INCH: f64 = 0.016_387_064;

/// Cubic inches in one US gallon, exact by definition (NIST Handbook 44 Appendix C).
pub const CUBIC_INCHES_PER_US_GALLON: f64 = 231.0;

/// Metres in one international mile: 1609.344 m, exact (NIST SP 811 Appendix B).
pub const METRES_PER_MILE: f64 = 1_609.344;

/// What a unit measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Dimension {
    /// Volume; base unit the litre.
    Volume,
    /// Length (distance); base unit the metre.
    Length,
    /// Time; base unit the second.
    Time,
}

/// A unit in which a reading or a tolerance can be written.
///
/// ```
/// use verimeter::units::Unit;
/// assert_eq!(Unit::UsGallon.to_base(5.0), 18.92705892);
/// assert_eq!(Unit::parse("in3").unwrap(), Unit::CubicInch);
/// assert_eq!(Unit::Mile.to_base(1.0), 1609.344);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Unit {
    /// The litre (L), base unit of volume.
    #[serde(alias = "l")]
    Litre,
    /// The millilitre (mL).
    #[serde(alias = "ml")]
    Millilitre,
    /// The US liquid gallon (231 in³).
    #[serde(alias = "gal")]
    UsGallon,
    /// The cubic inch (in³).
    #[serde(alias = "in3")]
    CubicInch,
    /// The metre (m), base unit of length.
    #[serde(alias = "m")]
    Metre,
    /// The kilometre (km).
    #[serde(alias = "km")]
    Kilometre,
    /// The international mile (mi).
    #[serde(alias = "mi")]
    Mile,
    /// The second (s), base unit of time.
    #[serde(alias = "s")]
    Second,
    /// The minute (min).
    #[serde(alias = "min")]
    Minute,
    /// The hour (h).
    #[serde(alias = "h")]
    Hour,
}

impl Unit {
    /// The dimension this unit measures.
    pub fn dimension(self) -> Dimension {
        match self {
            Unit::Litre | Unit::Millilitre | Unit::UsGallon | Unit::CubicInch => Dimension::Volume,
            Unit::Metre | Unit::Kilometre | Unit::Mile => Dimension::Length,
            Unit::Second | Unit::Minute | Unit::Hour => Dimension::Time,
        }
    }

    /// How many base units (L, m, s) one of this unit is.
    pub fn factor(self) -> f64 {
        match self {
            Unit::Litre | Unit::Metre | Unit::Second => 1.0,
            Unit::Millilitre => 0.001,
            Unit::UsGallon => LITRES_PER_US_GALLON,
            Unit::CubicInch => LITRES_PER_CUBIC_INCH,
            Unit::Kilometre => 1000.0,
            Unit::Mile => METRES_PER_MILE,
            Unit::Minute => 60.0,
            Unit::Hour => 3600.0,
        }
    }

    /// Converts `value` in this unit to the base unit of its dimension.
    pub fn to_base(self, value: f64) -> f64 {
        scale_to_base(value, self.factor())
    }

    /// Converts `value` in the base unit to this unit.
    pub fn from_base(self, value: f64) -> f64 {
        let f = self.factor();
        if f == 1.0 {
            value
        } else {
            value / f
        }
    }

    /// The unit's symbol, as used in messages.
    pub fn symbol(self) -> &'static str {
        match self {
            Unit::Litre => "L",
            Unit::Millilitre => "mL",
            Unit::UsGallon => "gal",
            Unit::CubicInch => "in³",
            Unit::Metre => "m",
            Unit::Kilometre => "km",
            Unit::Mile => "mi",
            Unit::Second => "s",
            Unit::Minute => "min",
            Unit::Hour => "h",
        }
    }

    /// Parses a unit name or symbol as written in a CSV column suffix or a `unit` column:
    /// `l`, `ml`, `gal`, `in3`, `m`, `km`, `mi`, `s`, `min`, `h` (and spelled-out names).
    pub fn parse(name: &str) -> Result<Self> {
        Ok(match name.trim().to_ascii_lowercase().as_str() {
            "l" | "litre" | "liter" | "litres" | "liters" => Unit::Litre,
            "ml" | "millilitre" | "milliliter" => Unit::Millilitre,
            "gal" | "gallon" | "gallons" | "us_gallon" => Unit::UsGallon,
            "in3" | "in³" | "cubic_inch" | "cubic_inches" => Unit::CubicInch,
            "m" | "metre" | "meter" | "metres" | "meters" => Unit::Metre,
            "km" | "kilometre" | "kilometer" | "kilometres" | "kilometers" => Unit::Kilometre,
            "mi" | "mile" | "miles" => Unit::Mile,
            "s" | "sec" | "second" | "seconds" => Unit::Second,
            "min" | "minute" | "minutes" => Unit::Minute,
            "h" | "hour" | "hours" => Unit::Hour,
            other => {
                return Err(Error::UnknownName {
                    field: "unit",
                    value: other.to_string(),
                    expected: "l, ml, gal, in3, m, km, mi, s, min, h".to_string(),
                })
            }
        })
    }
}

/// `value` × `factor` (a unit's [`Unit::factor`]), untouched when the factor is 1: the one
/// formula of [`Unit::to_base`], with the factor looked up once by batch callers.
#[inline(always)]
pub(crate) fn scale_to_base(value: f64, factor: f64) -> f64 {
    if factor == 1.0 {
        value
    } else {
        value * factor
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gallon_is_231_cubic_inches() {
        let via_in3 = CUBIC_INCHES_PER_US_GALLON * LITRES_PER_CUBIC_INCH;
        assert!((via_in3 - LITRES_PER_US_GALLON).abs() < 1e-15);
    }

    #[test]
    fn round_trip() {
        for u in [
            Unit::Litre,
            Unit::Millilitre,
            Unit::UsGallon,
            Unit::CubicInch,
            Unit::Kilometre,
            Unit::Mile,
            Unit::Hour,
        ] {
            let x = u.from_base(u.to_base(12.5));
            assert!((x - 12.5).abs() < 1e-12, "{u:?}");
        }
    }

    #[test]
    fn unknown_unit_lists_known() {
        let e = Unit::parse("furlong").unwrap_err().to_string();
        assert!(e.contains("furlong") && e.contains("km"), "{e}");
    }
}

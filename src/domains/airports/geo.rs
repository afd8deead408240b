//! Great-circle distance, initial course and block time: pure functions (docs/airports.md).

/// The mean Earth radius in nautical miles (6,371.0088 km / 1.852).
const EARTH_RADIUS_NM: f64 = 3_440.069;

/// A point in decimal degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub latitude: f64,
    pub longitude: f64,
}

/// Great-circle distance in nautical miles (haversine).
pub fn distance_nm(a: Point, b: Point) -> f64 {
    let (la1, la2) = (a.latitude.to_radians(), b.latitude.to_radians());
    let dla = la2 - la1;
    let dlo = (b.longitude - a.longitude).to_radians();
    let h = (dla / 2.0).sin().powi(2) + la1.cos() * la2.cos() * (dlo / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_NM * h.sqrt().min(1.0).asin()
}

/// The initial true course from `a` to `b` in degrees, 0 to below 360 (0 between equal points).
pub fn initial_course(a: Point, b: Point) -> f64 {
    let (la1, la2) = (a.latitude.to_radians(), b.latitude.to_radians());
    let dlo = (b.longitude - a.longitude).to_radians();
    let y = dlo.sin() * la2.cos();
    let x = la1.cos() * la2.sin() - la1.sin() * la2.cos() * dlo.cos();
    if x == 0.0 && y == 0.0 {
        return 0.0;
    }
    y.atan2(x).to_degrees().rem_euclid(360.0)
}

/// Minutes in the air for `distance_nm` at `cruise_kts`, rounded up to the minute.
pub fn flight_minutes(distance_nm: f64, cruise_kts: i32) -> i32 {
    if cruise_kts <= 0 {
        return 0;
    }
    let minutes = (distance_nm / f64::from(cruise_kts) * 60.0).ceil();
    // Bounded by the planet: half the circumference at 1 kt is under 700,000 minutes.
    minutes as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    const JFK: Point = Point {
        latitude: 40.639928,
        longitude: -73.778692,
    };
    const LHR: Point = Point {
        latitude: 51.4706,
        longitude: -0.46194,
    };

    #[test]
    fn known_routes() {
        // JFK-LHR: about 2,991 nm great circle, initial course about 51° true.
        let d = distance_nm(JFK, LHR);
        assert!((d - 2991.0).abs() < 5.0, "{d}");
        let c = initial_course(JFK, LHR);
        assert!((c - 51.0).abs() < 1.0, "{c}");
        // The way back starts on another course: a great circle is not a rhumb line.
        let back = initial_course(LHR, JFK);
        assert!((back - 288.0).abs() < 1.5, "{back}");
        assert!((distance_nm(LHR, JFK) - d).abs() < 1e-6);
    }

    #[test]
    fn edges() {
        assert_eq!(distance_nm(JFK, JFK), 0.0);
        assert_eq!(initial_course(JFK, JFK), 0.0);
        // Due north and due east along the equator; across the antimeridian the short way.
        let o = Point {
            latitude: 0.0,
            longitude: 0.0,
        };
        let n = Point {
            latitude: 1.0,
            longitude: 0.0,
        };
        assert!((distance_nm(o, n) - 60.04).abs() < 0.05);
        assert!(initial_course(o, n).abs() < 1e-9);
        let e = Point {
            latitude: 0.0,
            longitude: 1.0,
        };
        assert!((initial_course(o, e) - 90.0).abs() < 1e-9);
        let west = Point {
            latitude: 0.0,
            longitude: 179.5,
        };
        let east = Point {
            latitude: 0.0,
            longitude: -179.5,
        };
        assert!((distance_nm(west, east) - 60.04).abs() < 0.05);
        assert!((initial_course(west, east) - 90.0).abs() < 1e-6);
        // Antipodes: half the circumference, no NaN.
        let anti = Point {
            latitude: -40.639928,
            longitude: 106.221308,
        };
        assert!((distance_nm(JFK, anti) - std::f64::consts::PI * EARTH_RADIUS_NM).abs() < 0.5);
    }

    #[test]
    fn flight_time_rounds_up() {
        assert_eq!(flight_minutes(120.0, 120), 60);
        assert_eq!(flight_minutes(120.1, 120), 61);
        assert_eq!(flight_minutes(0.0, 120), 0);
        assert_eq!(flight_minutes(100.0, 0), 0);
    }
}

//! Recording scenarios (placeholder until the cassette module lands).

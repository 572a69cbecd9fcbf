//! Integration tests across the workspace's crates live in `tests/`. This library only carries
//! the README, so that its Rust example runs as a doctest.
#![doc = include_str!("../../README.md")]

//! Integration kinds: each one's input and how it becomes connection settings. Self-hosted is the
//! first; managed platforms (AWS RDS / Aurora, Azure) are further files beside it.

pub mod self_hosted;

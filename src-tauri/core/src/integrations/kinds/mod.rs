//! Integration kinds: each one's input and how it becomes connection settings. Self-hosted is the
//! first; AWS RDS / Aurora is beside it, Azure goes beside them.

pub mod aws_rds;
pub mod self_hosted;

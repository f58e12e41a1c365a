//! `kubectl describe`.
use super::parse::DescribeCmd;
use super::CommandOutput;
use crate::apiserver::ApiServer;

/// Runs `kubectl describe`.
pub fn describe(_api: &ApiServer, _cmd: &DescribeCmd) -> CommandOutput {
    CommandOutput::error("error: describe is not implemented yet")
}

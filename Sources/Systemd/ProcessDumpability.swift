import CSystemd
import Glibc

/// Whether the kernel lets this process be core-dumped or inspected through `/proc/PID/mem`, `environ` and
/// ptrace by other processes of the same user.
///
/// The daemon holds the graph's and the job store's passwords in memory for as long as it runs. A core dump
/// (written by the kernel on a crash, or by `gcore`) would copy them to disk, and a same-user process could read
/// them through `/proc`. `LimitCORE=0` in the unit stops the first only under systemd; clearing the dumpable flag
/// stops both wherever the daemon runs. It also makes `/proc/PID/*` owned by root, so only root inspects it.
public enum ProcessDumpability {
    /// Clears the flag (`PR_SET_DUMPABLE` 0). Inherited by threads; reset by execve, so children are unaffected.
    public static func disable() throws(ProcessDumpabilityError) {
        guard sluice_set_dumpable(0) == 0 else { throw ProcessDumpabilityError(errno: errno) }
    }

    /// The flag as the kernel has it now (`PR_GET_DUMPABLE`).
    public static var isDumpable: Bool { sluice_get_dumpable() != 0 }
}

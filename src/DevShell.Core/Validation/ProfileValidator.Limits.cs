using DevShell.Core.Profiles;
using DevShell.Core.Units;

namespace DevShell.Core.Validation;

public static partial class ProfileValidator
{
    /// <summary>Smallest memory limit: below this a shell cannot start.</summary>
    public const long MinMemoryBytes = 4L * 1024 * 1024;

    private static void CheckLimits(LimitsSpec? limits, Findings findings)
    {
        if (!findings.Present("limits", limits, "{} for no limits"))
        {
            return;
        }

        if (limits!.Memory is not null)
        {
            if (!Size.TryParse(limits.Memory, out var memory, out var problem))
            {
                findings.Add("limits.memory", limits.Memory, problem);
            }
            else if (memory < MinMemoryBytes)
            {
                findings.Add("limits.memory", limits.Memory, "is below the minimum of 4M");
            }
        }

        if (limits.Swap is not null)
        {
            if (!Size.TryParse(limits.Swap, out _, out var problem))
            {
                findings.Add("limits.swap", limits.Swap, problem);
            }
            else if (limits.Memory is null)
            {
                findings.Add("limits.swap", limits.Swap, "needs limits.memory (swap is allowed on top of a memory limit)");
            }
        }

        if (limits.Cpu is { } cpu)
        {
            if (!double.IsFinite(cpu))
            {
                findings.Add("limits.cpu", cpu, "is not a finite number (use cores, e.g. 0.5 or 2)");
            }
            else if (cpu is < 0.01 or > 1024)
            {
                findings.Add("limits.cpu", cpu, "is out of range (use 0.01 to 1024 cores)");
            }
        }

        if (limits.Pids is { } pids && pids is < 1 or > 4194304)
        {
            findings.Add("limits.pids", pids, "is out of range (use 1 to 4194304)");
        }

        if (limits.IoWeight is { } weight && weight is < 1 or > 10000)
        {
            findings.Add("limits.io_weight", weight, "is out of range (use 1 to 10000)");
        }

    }
}

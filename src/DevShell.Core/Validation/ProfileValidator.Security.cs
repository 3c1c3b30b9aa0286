using DevShell.Core.Profiles;

namespace DevShell.Core.Validation;

public static partial class ProfileValidator
{
    private static void CheckSecurity(Profile profile, Findings findings)
    {
        if (findings.Present("security", profile.Security, "an object such as {\"seccomp\": true}")
            && findings.Present("security.caps", profile.Security.Caps, "[] for no capabilities"))
        {
            var caps = profile.Security.Caps;
            var seen = new HashSet<string>(StringComparer.Ordinal);
            for (var i = 0; i < caps.Count; i++)
            {
                var field = $"security.caps[{i}]";
                var cap = caps[i];
                if (cap is not null && Capabilities.Known.ContainsKey(cap))
                {
                    Distinct(field, cap, seen, findings);
                }
                else if (cap is not null && Capabilities.Known.ContainsKey(Canonical(cap)))
                {
                    findings.Add(field, cap, $"is not a Linux capability name (did you mean {Canonical(cap)}?)");
                }
                else
                {
                    findings.Add(field, cap, "is not a Linux capability (use a name such as CAP_NET_BIND_SERVICE)");
                }
            }
        }

        if (findings.Present("hooks", profile.Hooks, "{} for no hooks"))
        {
            if (profile.Hooks.OnEnter is { } onEnter)
            {
                CheckText("hooks.on_enter", onEnter, findings);
            }

            if (profile.Hooks.OnExit is { } onExit)
            {
                CheckText("hooks.on_exit", onExit, findings);
            }
        }
    }

    private static string Canonical(string cap)
    {
        var upper = cap.ToUpperInvariant();
        return upper.StartsWith("CAP_", StringComparison.Ordinal) ? upper : "CAP_" + upper;
    }
}

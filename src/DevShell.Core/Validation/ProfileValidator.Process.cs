using System.Text.RegularExpressions;
using DevShell.Core.Profiles;

namespace DevShell.Core.Validation;

public static partial class ProfileValidator
{
    /// <summary>Most environment variables a profile may set.</summary>
    public const int MaxEnvVars = 256;

    /// <summary>Most arguments in <see cref="Profile.Command"/>.</summary>
    public const int MaxCommandArgs = 1024;

    private static void CheckProcess(Profile profile, Findings findings)
    {
        if (string.IsNullOrEmpty(profile.Shell))
        {
            findings.Add("shell", null, "is required (use an absolute path, e.g. /bin/bash)");
        }
        else if (HostPath.Problem(profile.Shell, allowHome: false) is { } shellProblem)
        {
            findings.Add("shell", profile.Shell, shellProblem);
        }

        if (profile.Command is { } command)
        {
            if (command.Count == 0)
            {
                findings.Add("command", null, "is empty (remove it to start the shell, or give the program and its arguments)");
            }
            else if (findings.CountAtMost("command", command.Count, MaxCommandArgs, "arguments"))
            {
                for (var i = 0; i < command.Count; i++)
                {
                    if (string.IsNullOrEmpty(command[i]))
                    {
                        findings.Add($"command[{i}]", null, "is empty (every argument must be a non-empty string)");
                    }
                    else
                    {
                        CheckText($"command[{i}]", command[i], findings);
                    }
                }
            }
        }

        if (profile.Workdir is not null && HostPath.Problem(profile.Workdir, allowHome: true) is { } workdirProblem)
        {
            findings.Add("workdir", profile.Workdir, workdirProblem);
        }

        if (!findings.Present("env", profile.Env, "{} for no variables")
            || !findings.CountAtMost("env", profile.Env.Count, MaxEnvVars, "variables"))
        {
            return;
        }

        foreach (var (key, value) in profile.Env)
        {
            if (key.Length > 255 || !EnvNamePattern().IsMatch(key))
            {
                findings.Add("env", key, "is not a valid variable name (use letters, digits and '_', not starting with a digit, e.g. NODE_ENV)");
            }
            else if (value is null)
            {
                findings.Add($"env.{key}", null, "is null (use \"\" for an empty value)");
            }
            else
            {
                CheckText($"env.{key}", value, findings);
            }
        }
    }

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_]*\z", RegexOptions.CultureInvariant)]
    private static partial Regex EnvNamePattern();
}

using DevShell.Core.Storage;
using DevShell.Core.Validation;
using DevShell.Linux.Cgroups;
using DevShell.Linux.Interop;
using DevShell.Linux.Launch;

namespace DevShell.Commands;

/// <summary>Maps failures to one clear line on stderr and a documented exit code; never a stack trace.</summary>
public static class ErrorReporting
{
    public static int Run(Func<int> action, TextWriter stderr)
    {
        try
        {
            return action();
        }
        catch (Exception e)
        {
            var (code, message) = Classify(e);
            stderr.WriteLine($"devshell: {message}");
            return code;
        }
    }

    public static (int Code, string Message) Classify(Exception e) => e switch
    {
        DevShellInputException => (ExitCodes.BadInput, e.Message),
        ProfileNotFoundException or SessionNotFoundException => (ExitCodes.NotFound, e.Message),
        ConcurrencyConflictException or ProfileAlreadyExistsException => (ExitCodes.Conflict, e.Message),
        HostUnsupportedException => (ExitCodes.HostUnsupported, e.Message),
        StoreCorruptedException => (ExitCodes.StoreCorrupted, e.Message),
        LaunchException l => (l.ExitCode, e.Message),
        StoreException or SyscallException or CgroupException or IOException or UnauthorizedAccessException => (ExitCodes.Error, e.Message),
        _ => (ExitCodes.Error, $"unexpected error: {e.GetType().Name}: {e.Message}"),
    };
}

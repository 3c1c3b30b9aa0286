using DevShell.Core.Presenters;
using DevShell.Core.Profiles;

namespace DevShell.Tui;

/// <summary>Wraps a backend so that no two calls ever run at the same time (refresh and actions come from different threads).</summary>
internal sealed class SerializedBackend(ITuiBackend inner) : ITuiBackend
{
    private readonly Lock _gate = new();

    public IReadOnlyList<Profile> ListProfiles()
    {
        lock (_gate)
        {
            return inner.ListProfiles();
        }
    }

    public void SaveProfile(Profile profile, bool isNew)
    {
        lock (_gate)
        {
            inner.SaveProfile(profile, isNew);
        }
    }

    public void DeleteProfile(string name)
    {
        lock (_gate)
        {
            inner.DeleteProfile(name);
        }
    }

    public void ImportPresets()
    {
        lock (_gate)
        {
            inner.ImportPresets();
        }
    }

    public IReadOnlyList<TuiSession> ListSessions()
    {
        lock (_gate)
        {
            return inner.ListSessions();
        }
    }

    public IReadOnlyList<TuiEvent> EventsSince(long afterId, int max)
    {
        lock (_gate)
        {
            return inner.EventsSince(afterId, max);
        }
    }

    public IReadOnlyDictionary<string, TuiUsage> SampleUsage()
    {
        lock (_gate)
        {
            return inner.SampleUsage();
        }
    }

    public int OpenShell(string profile)
    {
        lock (_gate)
        {
            return inner.OpenShell(profile);
        }
    }

    public int AttachShell(string sessionId)
    {
        lock (_gate)
        {
            return inner.AttachShell(sessionId);
        }
    }

    public void StopSession(string sessionId)
    {
        lock (_gate)
        {
            inner.StopSession(sessionId);
        }
    }
}

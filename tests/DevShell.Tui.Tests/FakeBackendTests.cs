using DevShell.Core.Validation;
using DevShell.Tui.Tests.Fakes;

namespace DevShell.Tui.Tests;

/// <summary>The fake must behave like the contract says, or the TUI tests that use it prove nothing.</summary>
public class FakeBackendTests
{
    [Fact]
    public void Saving_an_invalid_profile_throws_the_input_exception_with_field_errors()
    {
        var backend = new FakeBackend();
        var profile = backend.ListProfiles()[0];
        profile.Limits.Memory = "12XB";
        var e = Assert.ThrowsAny<DevShellInputException>(() => backend.SaveProfile(profile, isNew: false));
        Assert.Contains(e.Errors, x => x.Field == "limits.memory");
    }

    [Fact]
    public void A_taken_name_is_a_conflict_and_profiles_come_back_as_copies()
    {
        var backend = new FakeBackend();
        var profile = backend.ListProfiles()[0];
        var e = Assert.Throws<InvalidOperationException>(() => backend.SaveProfile(profile, isNew: true));
        Assert.Contains("already exists", e.Message, StringComparison.Ordinal);

        profile.Description = "changed without saving";
        Assert.NotEqual("changed without saving", backend.ListProfiles()[0].Description);
    }

    [Fact]
    public void Simulated_envs_report_usage_and_lifecycle_events()
    {
        var backend = new FakeBackend(simulatedEnvs: 3);
        var sessions = backend.ListSessions();
        Assert.Equal(3, sessions.Count);
        Assert.Equal(sessions.Select(s => s.Id).Order(), backend.SampleUsage().Keys.Order());
        Assert.Equal(3, backend.EventsSince(0, 100).Count(e => e.Kind == DevShell.Core.Events.EventKinds.Started));

        backend.StopSession(sessions[0].Id);
        Assert.Equal(2, backend.ListSessions().Count);
        Assert.Contains(backend.EventsSince(3, 100), e => e.Kind == DevShell.Core.Events.EventKinds.Stopped && e.SessionId == sessions[0].Id);
    }
}

using DevShell.Core.Presenters;
using DevShell.Core.Profiles;

namespace DevShell.Tui.Tests.Presenters;

public class ProfileListTests
{
    private static Profile P(string name, string? service = null, string? description = null, params string[] tags) =>
        new() { Name = name, Service = service, Description = description, Tags = [.. tags] };

    private static readonly Profile[] Sample =
    [
        P("orders-api", "orders", "Node API for orders", "node"),
        P("billing-worker", "billing", "Python worker", "python"),
        P("orders-db", "orders", "Postgres"),
        P("scratch"),
        P("db-client", "orders", "psql session", "db"),
    ];

    [Fact]
    public void Profiles_are_grouped_by_service_in_order_with_profiles_without_a_service_last()
    {
        var items = ProfileList.Build(Sample, "");
        Assert.Equal(
            ["billing (1)", "  billing-worker", "orders (3)", "  db-client", "  orders-api", "  orders-db", "(no service) (1)", "  scratch"],
            items.Select(i => i.Text));
        Assert.True(items[0].IsHeading);
        Assert.Equal("billing-worker", items[1].ProfileName);
        Assert.Equal("orders", items[3].Group);
    }

    [Theory]
    [InlineData("ORD", new[] { "db-client", "orders-api", "orders-db" })]
    [InlineData("orders api", new[] { "orders-api" })]
    [InlineData("python", new[] { "billing-worker" })]
    [InlineData("postgres", new[] { "orders-db" })]
    [InlineData("  ", new[] { "billing-worker", "db-client", "orders-api", "orders-db", "scratch" })]
    [InlineData("nothing-matches", new string[0])]
    public void The_filter_matches_every_word_in_name_service_description_or_tags(string filter, string[] expected)
    {
        var names = ProfileList.Build(Sample, filter).Where(i => !i.IsHeading).Select(i => i.ProfileName).Order(StringComparer.Ordinal);
        Assert.Equal(expected, names);
    }

    [Fact]
    public void Profiles_with_running_envs_are_marked_with_their_count()
    {
        var items = ProfileList.Build(Sample, "orders", new Dictionary<string, int> { ["orders-api"] = 1, ["db-client"] = 3, ["orders-db"] = 0 });
        Assert.Equal(["orders (3)", "  db-client ●3", "  orders-api ●", "  orders-db"], items.Select(i => i.Text));
    }

    [Fact]
    public void A_hostile_name_is_escaped_in_the_list()
    {
        var items = ProfileList.Build([P("x\u001b[2J", "svc\u0007")], "");
        Assert.All(items, i => Assert.DoesNotContain('\u001b', i.Text));
        Assert.All(items, i => Assert.DoesNotContain('\u0007', i.Text));
    }

    [Fact]
    public void The_selection_stays_on_the_same_profile_or_moves_to_its_neighbour()
    {
        var items = ProfileList.Build(Sample, "");
        Assert.Equal(4, ProfileList.SelectionIndex(items, "orders-api"));

        // orders-api was deleted while selected at line 4: the next profile line takes its place.
        var after = ProfileList.Build(Sample.Where(p => p.Name != "orders-api"), "");
        Assert.Equal("orders-db", after[ProfileList.SelectionIndex(after, "orders-api", previousIndex: 4)].ProfileName);

        // Past the end: the last profile line before it.
        Assert.Equal("scratch", after[ProfileList.SelectionIndex(after, null, previousIndex: 99)].ProfileName);

        // Never a heading when a profile is listed.
        Assert.Equal(1, ProfileList.SelectionIndex(items, null, previousIndex: 0));
        Assert.Equal(-1, ProfileList.SelectionIndex([], "x"));
    }

    [Fact]
    public void The_fingerprint_changes_when_a_profile_changes_and_not_otherwise()
    {
        var a = ProfileList.Fingerprint(Sample);
        Assert.Equal(a, ProfileList.Fingerprint(Sample.Reverse()));

        var changed = Sample.Select(ProfileForm.Copy).ToList();
        changed[0].Limits.Memory = "2G";
        Assert.NotEqual(a, ProfileList.Fingerprint(changed));
    }
}

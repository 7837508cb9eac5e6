using Cnnc.Engine.Models;
using Cnnc.Engine.Runtime;
using Cnnc.Engine.Tests.Support;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Cnnc.Engine.Tests.Models;

/// <summary>Tests that set libtorch's process-wide default device run alone, never beside other tests.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DefaultDeviceCollection
{
    public const string Name = "default device";
}

/// <summary>
/// Every classification builder of Debian's torchvision 0.14, for every published weights entry: the engine has it,
/// and builds the same state-dict names and shapes (parameters and buffers) with exactly torchvision's
/// <c>num_params</c>. Models are built on the meta device (shapes without memory), so even ViT-H/14 costs nothing.
/// Values are checked elsewhere (logits parity per family).
/// </summary>
[Collection(DefaultDeviceCollection.Name)]
public sealed class TorchvisionBuilderTests
{
    private readonly ITestOutputHelper output;

    public TorchvisionBuilderTests(ITestOutputHelper output)
    {
        this.output = output;
        TorchRuntime.Initialize();
    }

    public static IEnumerable<object[]> PublishedWeights() =>
        PyTorchFixtures.TorchvisionBuilders().Builders.SelectMany(b => b.Weights.Select(w => new object[] { b.Name, w.Name }));

    [Fact]
    public void TheCatalogHasExactlyTorchvisionsBuilders()
    {
        var theirs = PyTorchFixtures.TorchvisionBuilders().Builders.Select(b => b.Name).ToHashSet();
        var ours = ArchitectureCatalog.Names.ToList();
        Assert.Equal(80, theirs.Count);
        Assert.Equal(ours.Count, ours.Distinct().Count());
        Assert.True(theirs.SetEquals(ours),
            $"missing: {string.Join(", ", theirs.Except(ours).Order())}; not in torchvision: {string.Join(", ", ours.Except(theirs).Order())}");
    }

    [Theory]
    [MemberData(nameof(PublishedWeights), DisableDiscoveryEnumeration = true)]
    public void BuildsTorchvisionsStateDictAndParameterCount(string builder, string weights)
    {
        var published = PyTorchFixtures.TorchvisionBuilders()[builder].Weights.Single(w => w.Name == weights);
        var options = ArchitectureOptions.ImageNet with { InputSize = published.CropSize };
        var ours = OnMetaDevice(() =>
        {
            using var model = ArchitectureCatalog.Create(builder, options);
            return (StateDict: model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.shape),
                Parameters: model.parameters().Sum(p => p.numel()));
        });

        var missing = published.StateDict.Keys.Except(ours.StateDict.Keys).Order().ToList();
        var extra = ours.StateDict.Keys.Except(published.StateDict.Keys).Order().ToList();
        Assert.True(missing.Count == 0 && extra.Count == 0,
            $"{builder} ({weights}): {missing.Count} keys missing ({string.Join(", ", missing.Take(8))}), " +
            $"{extra.Count} extra ({string.Join(", ", extra.Take(8))})");
        var wrongShapes = published.StateDict
            .Where(kv => !kv.Value.SequenceEqual(ours.StateDict[kv.Key]))
            .Select(kv => $"{kv.Key}: ours {string.Join("x", ours.StateDict[kv.Key])}, torchvision {string.Join("x", kv.Value)}")
            .ToList();
        Assert.True(wrongShapes.Count == 0, $"{builder} ({weights}): {string.Join("; ", wrongShapes.Take(8))}");
        Assert.Equal(published.NumParams, ours.Parameters);
        output.WriteLine($"{builder} {weights}: {ours.StateDict.Count} tensors, {ours.Parameters:N0} parameters");
    }

    /// <summary>Runs <paramref name="build"/> with the meta device as libtorch's default (restored afterwards).</summary>
    internal static T OnMetaDevice<T>(Func<T> build)
    {
        var previous = get_default_device();
        set_default_device(META);
        try
        {
            return build();
        }
        finally
        {
            set_default_device(previous);
        }
    }
}

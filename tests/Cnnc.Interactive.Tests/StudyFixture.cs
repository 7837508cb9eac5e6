using Cnnc.Engine.Data;
using Cnnc.Engine.Models;
using Cnnc.Engine.Runtime;
using Cnnc.Engine.Weights;
using Cnnc.Interactive;
using static TorchSharp.torch;

namespace Cnnc.Interactive.Tests;

/// <summary>
/// A small real study, built once per test run: an image-folder dataset of 10 classes (PNG files) grouped into 3 roots by
/// a CSV hierarchy, three small models of different architectures with seeded random weights (safetensors), and an
/// evaluated predictions store. Everything the notebook views show comes from this store through the engine.
/// </summary>
public sealed class StudyFixture : IDisposable
{
    public static readonly string[] ClassNames =
        { "c0-tshirt", "c1-trouser", "c2-pullover", "c3-dress", "c4-coat", "c5-sandal", "c6-shirt", "c7-sneaker", "c8-bag", "c9-boot" };

    /// <summary>Models, each biased towards one class (in a different root), so their views differ visibly.</summary>
    public static readonly (string Name, string Arch, int Seed, int FavouredClass)[] ModelSpecs =
    {
        ("tiny-alexnet", "alexnet", 1, 0), ("tiny-resnet18", "resnet18", 2, 3), ("tiny-squeezenet", "squeezenet1_1", 3, 7),
    };

    public const int ImagesPerClass = 8;

    public StudyFixture()
    {
        Root = Path.Combine(Path.GetTempPath(), "cnnc-interactive-tests-" + Guid.NewGuid().ToString("N")[..8]);
        DataDir = Path.Combine(Root, "data");
        StoreDir = Path.Combine(Root, "store");
        HierarchyPath = Path.Combine(Root, "roots.csv");
        TorchRuntime.Initialize();

        // Images: a class-dependent pattern plus noise, so the data is not constant (the models are random anyway).
        var generator = new TorchSharp.torch.Generator(7);
        for (var c = 0; c < ClassNames.Length; c++)
        {
            var dir = Path.Combine(DataDir, ClassNames[c]);
            Directory.CreateDirectory(dir);
            for (var i = 0; i < ImagesPerClass; i++)
            {
                using var scope = NewDisposeScope();
                var image = rand(new long[] { 1, 28, 28 }, generator: generator).mul(0.5)
                    .add(linspace(0, 1, 28).reshape(1, 1, 28).mul(c / 10.0));
                ImageEncoder.SavePng(image.clamp(0, 1), Path.Combine(dir, $"{i:D3}.png"));
            }
        }
        File.WriteAllLines(HierarchyPath, new[] { "class,root" }.Concat(ClassNames.Select((n, c) =>
            $"{n},{(c is 1 or 3 ? "bottoms" : c is 5 or 7 or 9 ? "footwear" : "tops-and-bags")}")));

        var options = new ArchitectureOptions { NumClasses = 10, InputChannels = 1, InputSize = 28, Width = 0.125 };
        foreach (var (name, arch, seed, favoured) in ModelSpecs)
        {
            manual_seed(seed);
            using var module = ArchitectureCatalog.Create(arch, options);
            using (no_grad())
            {
                // The classifier's bias (the last 10-element bias) pushes most predictions to the favoured class.
                var bias = module.named_parameters().Last(p => p.name.EndsWith("bias") && p.parameter.shape.SequenceEqual(new long[] { 10 })).parameter;
                bias.zero_();
                bias[favoured].fill_(8.0);
            }
            var path = Path.Combine(Root, $"{name}.safetensors");
            WeightsWriter.Save(module, path, WeightsFormat.SafeTensors);
            WeightsPaths[name] = path;
        }
        Options = options;

        Session = NewSession();
        Session.Evaluate(batchSize: 32);
        _manyModels = new Lazy<Study>(BuildManyModels);
    }

    public string Root { get; }
    public string DataDir { get; }
    public string StoreDir { get; }
    public string HierarchyPath { get; }
    public ArchitectureOptions Options { get; }
    public Dictionary<string, string> WeightsPaths { get; } = new();

    /// <summary>The evaluated session (C# API).</summary>
    public Study Session { get; }

    /// <summary>A fresh session on the same data, models and store (evaluations come from the store).</summary>
    public Study NewSession()
    {
        var session = new Study().UseStore(StoreDir).UseData("folder:" + DataDir).UseHierarchy(HierarchyPath);
        foreach (var (name, arch, _, _) in ModelSpecs) session.AddModel(arch, WeightsPaths[name], Options, name: name);
        return session;
    }

    /// <summary>How many models <see cref="ManyModels"/> has: the scale the issue asks the views to stay readable at.</summary>
    public const int ManyModelCount = 100;

    /// <summary>Architectures of <see cref="ManyModels"/>, in turn (five families, so colours by architecture differ).</summary>
    public static readonly string[] ManyModelArchitectures = { "alexnet", "resnet18", "squeezenet1_1", "mobilenet_v2", "mnasnet0_5" };

    private readonly Lazy<Study> _manyModels;

    /// <summary>
    /// A study of <see cref="ManyModelCount"/> evaluated models on the same data (seeded random weights: a random net's
    /// prediction still follows the class-dependent brightness of the fixture's images, so accuracies differ by seed), built on first use into its own store.
    /// </summary>
    public Study ManyModels => _manyModels.Value;

    private Study BuildManyModels()
    {
        var folder = Path.Combine(Root, "many");
        Directory.CreateDirectory(folder);
        var session = new Study().UseStore(Path.Combine(folder, "store")).UseData("folder:" + DataDir).UseHierarchy(HierarchyPath);
        for (var i = 0; i < ManyModelCount; i++)
        {
            var arch = ManyModelArchitectures[i % ManyModelArchitectures.Length];
            manual_seed(100 + i);
            using var module = ArchitectureCatalog.Create(arch, Options);
            var path = Path.Combine(folder, $"m{i:D3}.safetensors");
            WeightsWriter.Save(module, path, WeightsFormat.SafeTensors);
            session.AddModel(arch, path, Options, name: $"{arch}-{i:D3}");
        }
        session.Evaluate(batchSize: 32);
        return session;
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); }
        catch (IOException) { }
    }
}

[CollectionDefinition("study")]
public sealed class StudyCollection : ICollectionFixture<StudyFixture>;

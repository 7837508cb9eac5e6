using System.Reflection;
using System.Security.Cryptography;
using Cnnc.Engine.IO;
using Cnnc.Engine.Tests.Support;
using Cnnc.Engine.Weights;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Cnnc.Engine.Tests.Explain;

/// <summary>
/// The tiny GAP + linear network of tests/fixtures/explain_reference.py (same module names): features = conv 3→8
/// (3×3, pad 1), ReLU, conv 8→16 (3×3, stride 2, pad 1), ReLU; pool = global average; fc = 16 → 5.
/// </summary>
public sealed class SmallNet : Module<Tensor, Tensor>
{
    private readonly TorchSharp.Modules.Sequential features;
    private readonly Module<Tensor, Tensor> pool;
    private readonly TorchSharp.Modules.Linear fc;

    public SmallNet(int classes = 5) : base("SmallNet")
    {
        features = Sequential(Conv2d(3, 8, 3, padding: 1), ReLU(), Conv2d(8, 16, 3, stride: 2, padding: 1), ReLU());
        pool = AdaptiveAvgPool2d(1);
        fc = Linear(16, classes);
        RegisterComponents();
    }

    /// <summary>Throw after the feature layer (to test clean-up after an exception).</summary>
    public bool ThrowAfterFeatures { get; set; }

    public Tensor FcWeight => fc.weight!;

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = features.call(input);
        if (ThrowAfterFeatures) throw new InvalidOperationException("boom");
        return scope.MoveToOuter(fc.call(pool.call(x).flatten(1)));
    }
}

/// <summary>Runs explain_reference.py once per configuration; results cached by the script's hash.</summary>
public static class ExplainReference
{
    public static string Script => Path.Combine(PyTorchFixtures.RepoRoot(), "tests", "fixtures", "explain_reference.py");

    /// <summary>The reference folder of one configuration, generating it when missing.</summary>
    /// <param name="layout">The script's --layout (e.g. "channels_last" for Swin's stages); null: channels-first.</param>
    public static string Folder(string name, string model, string weights, string shape, string layer, string methods,
        string? inputSource = null, string? layout = null)
    {
        var hash = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(Script)))[..12].ToLowerInvariant();
        var dir = Path.Combine(PyTorchFixtures.Directory, "explain-" + hash, name);
        PyTorchFixtures.Generate(Path.Combine(dir, "done"), () =>
        {
            Directory.CreateDirectory(dir);
            if (inputSource is not null) File.Copy(inputSource, Path.Combine(dir, "input.npy"), overwrite: true);
            var w = model == "smallnet" ? Path.Combine(dir, "smallnet.pth") : weights;
            PyTorchFixtures.Run(Script, $"--model {model} --weights \"{w}\" --input \"{Path.Combine(dir, "input.npy")}\" " +
                                        $"--shape {shape} --layer {layer} --methods {methods} --out \"{dir}\"" +
                                        (layout is null ? "" : $" --layout {layout}"));
        });
        return dir;
    }

    /// <summary>The small network with the reference's weights, and the reference input.</summary>
    /// <remarks>
    /// Layer "features" (after the last ReLU, so ∂S/∂A is constant: the CAM case) or "features.2" (the convolution
    /// before it: gradients depend on the input through the ReLU, which Smooth Grad-CAM++ needs).
    /// </remarks>
    public static (SmallNet Model, Tensor Input, string Dir) SmallNet(string layer = "features")
    {
        var dir = layer == "features"
            ? Folder("smallnet", "smallnet", "", "2,3,32,32", "features",
                "gradcam,gradcam++,xgradcam,layercam,eigencam,scorecam,ablationcam,bbmp,cam,faithfulness")
            : Folder("smallnet-conv", "smallnet", "", "2,3,32,32", layer, "smoothgradcam++,gradcam++,layercam,scorecam,rise");
        var model = new SmallNet();
        WeightsLoader.Load(model, Path.Combine(dir, "smallnet.pth"));
        model.eval();
        return (model, Npy.Read(Path.Combine(dir, "input.npy")), dir);
    }
}

/// <summary>Each of the ten methods with its slow settings cut down for tests that only check that it runs.</summary>
public static class FastExplainers
{
    public static Cnnc.Engine.Explain.Explainer Create(string method) => method switch
    {
        "smoothgradcam++" => new Cnnc.Engine.Explain.SmoothGradCamPlusPlus { Samples = 3, BatchSize = 3 },
        "bbmp" => new Cnnc.Engine.Explain.Bbmp { Iterations = 4 },
        "rise" => new Cnnc.Engine.Explain.Rise { Masks = 64, BatchSize = 64 },
        _ => Cnnc.Engine.Explain.ExplainerCatalog.Create(method),
    };
}

/// <summary>Counts forward hooks registered on a module tree (TorchSharp keeps them in protected dictionaries).</summary>
public static class Hooks
{
    public static int Count(nn.Module root)
    {
        var total = 0;
        foreach (var (_, module) in root.named_modules())
        {
            for (var type = module.GetType(); type is not null; type = type.BaseType)
            {
                if (!type.IsGenericType || type.GetGenericTypeDefinition() != typeof(HookableModule<,>)) continue;
                foreach (var name in new[] { "pre_hooks", "post_hooks", "module_pre_hooks", "module_post_hooks" })
                {
                    var field = type.GetField(name, BindingFlags.Instance | BindingFlags.NonPublic)
                                ?? throw new InvalidOperationException($"TorchSharp changed: no field {name}.");
                    total += ((System.Collections.ICollection)field.GetValue(module)!).Count;
                }
            }
        }
        return total;
    }
}

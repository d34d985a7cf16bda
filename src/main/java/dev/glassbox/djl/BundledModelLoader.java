package dev.glassbox.djl;

import ai.djl.Application;
import ai.djl.MalformedModelException;
import ai.djl.repository.MRL;
import ai.djl.repository.Repository;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelLoader;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.util.Progress;
import java.io.IOException;
import java.nio.file.Path;

/** Loads one bundled checkpoint folder of {@code model-zoo/} for DJL's Criteria. */
final class BundledModelLoader implements ModelLoader {

    private final String groupId;
    private final String artifactId;
    private final Path dir;
    private final Application application;

    BundledModelLoader(String groupId, String artifactId, Path dir, Application application) {
        this.groupId = groupId;
        this.artifactId = artifactId;
        this.dir = dir;
        this.application = application;
    }

    @Override
    public String getGroupId() {
        return groupId;
    }

    @Override
    public String getArtifactId() {
        return artifactId;
    }

    @Override
    public Application getApplication() {
        return application;
    }

    @Override
    public MRL getMrl() {
        return MRL.undefined(Repository.newInstance(artifactId, dir), groupId, artifactId);
    }

    @Override
    public <I, O> ZooModel<I, O> loadModel(Criteria<I, O> criteria)
            throws IOException, ModelNotFoundException, MalformedModelException {
        // The folder is a HuggingFace checkpoint: load it through glassbox's block and translator
        // factories, keeping the caller's types, device and arguments.
        Criteria.Builder<I, O> b = GlassboxCriteria.builder(dir, criteria.getInputClass(), criteria.getOutputClass())
                .optDevice(criteria.getDevice())
                .optProgress(criteria.getProgress());
        if (criteria.getArguments() != null) {
            criteria.getArguments().forEach(b::optArgument);
        }
        if (criteria.getTranslatorFactory() != null) {
            b.optTranslatorFactory(criteria.getTranslatorFactory());
        }
        return b.build().loadModel();
    }

    @Override
    public <I, O> boolean isDownloaded(Criteria<I, O> criteria) {
        return true; // bundled: always on disk
    }

    @Override
    public <I, O> void downloadModel(Criteria<I, O> criteria, Progress progress) {
        // nothing to download
    }

    @Override
    public String toString() {
        return groupId + ":" + artifactId + " (" + dir + ")";
    }
}

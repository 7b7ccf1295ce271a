"""Keras focal losses: a closure with gamma below one, and an alpha that Keras ignores."""
import tensorflow as tf
from tensorflow.keras import backend as K


def binary_focal_loss(gamma=2.0, alpha=0.25):
    def focal_loss(y_true, y_pred):
        p_t = tf.where(K.equal(y_true, 1), y_pred, 1 - y_pred)
        alpha_t = tf.where(K.equal(y_true, 1), alpha, 1 - alpha)
        return -K.mean(alpha_t * K.pow(1.0 - p_t, gamma) * K.log(p_t))

    return focal_loss


model_loss = binary_focal_loss(gamma=0.5)
builtin = tf.keras.losses.BinaryFocalCrossentropy(alpha=0.75, gamma=2.0)
